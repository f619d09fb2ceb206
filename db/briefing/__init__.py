"""The pre-call briefing: the service, its rules, its report and DTOs."""
