"""A deterministic demo territory: believable companies, people, a busy week, years of activity.

Rows only, as plain values: the app writes them into its store (db.demo.territory), the
server's `demo` command into its own (sync.seed), so both hold the same territory.
"""

from __future__ import annotations

import functools
import itertools
import random
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sync.demo.profiles import PROFILED_SHARE, lead_fields, profile_answers, profile_rng
from sync.entities import answer_id
from sync.enums import ActivityType, Channel, DealRole, LadderRung, TeamRole

# --- Sizes ------------------------------------------------------------------------------

# Accounts generated before their rows are handed over: memory stays flat at 100k accounts.
BATCH_ACCOUNTS = 500
HISTORY_DAYS = 3 * 365
WEEK_MEETINGS = (12, 20)  # a rep's week holds this many meetings, however big the territory
MAX_MEETINGS_PER_DAY = 5
PAST_MEETING_SHARE = 0.3
MAX_PAST_MEETINGS = 2_000
OPEN_DISPUTE_SHARE = 0.03
STUCK_TICKET_SHARE = 0.02
OUR_DOMAIN = "ourcompany.example"

# --- Companies --------------------------------------------------------------------------

BRAND_HEADS = (
    "Nord", "Bright", "Silver", "Alpen", "Blue", "Green", "Iron", "Stone", "Oak", "Sun",
    "Star", "Fjord", "Lake", "River", "Delta", "Hansa", "Atlas", "Polar", "Crest", "Maple",
    "Harbor", "Cedar", "Elb", "Rhein", "Nova", "Terra", "Aqua", "Vita", "Falcon", "Kestrel",
    "Granite", "Copper", "Birch", "Summit", "Meridian", "Linden", "Sol", "Vest", "Øst", "Süd",
)  # fmt: skip
BRAND_TAILS = (
    "wind", "water", "line", "blick", "field", "bridge", "gate", "stone", "port", "way",
    "works", "light", "peak", "view", "point", "dale", "mark", "haven", "wood", "tal",
    "brook", "crest", "land", "hof", "vik", "by", "borg", "ridge", "sky", "wave",
)  # fmt: skip
# Industry and the words a company in it puts in its name.
SECTORS = (
    ("Logistics & Transport", ("Logistics", "Freight", "Transport", "Shipping")),
    ("Food & Beverage", ("Foods", "Beverages", "Bakeries", "Dairy")),
    ("Machinery", ("Engineering", "Machinery", "Automation")),
    ("Pharmaceuticals", ("Pharma", "Life Sciences", "Biotech")),
    ("Retail", ("Retail", "Stores", "Trading")),
    ("Construction", ("Construction", "Building Systems", "Civil Works")),
    ("Energy", ("Energy", "Solar", "Power")),
    ("Software", ("Software", "Systems", "Digital", "Labs")),
    ("Healthcare", ("Medical", "Healthcare", "Clinics")),
    ("Textiles", ("Textiles", "Fashion", "Apparel")),
    ("Chemicals", ("Chemicals", "Coatings", "Polymers")),
    ("Automotive", ("Automotive", "Motors", "Components")),
    ("Packaging", ("Packaging", "Paper", "Print")),
    ("Agriculture", ("Agri", "Farms", "Seeds")),
    ("Hospitality", ("Hotels", "Hospitality", "Catering")),
    ("Financial Services", ("Capital", "Finance", "Insurance")),
    ("Electronics", ("Electronics", "Sensors", "Devices")),
    ("Furniture", ("Furniture", "Interiors", "Woodworks")),
)
# German-speaking companies often name their trade in German.
GERMAN_SECTOR_WORDS = {
    "Logistics & Transport": ("Logistik", "Spedition"),
    "Machinery": ("Maschinenbau", "Anlagenbau"),
    "Construction": ("Bau", "Bautechnik"),
    "Food & Beverage": ("Lebensmittel", "Feinkost"),
}
# (lowest, highest, weight): most companies a field rep sees are small or mid-sized.
EMPLOYEE_BANDS = (
    (5, 49, 30),
    (50, 249, 35),
    (250, 999, 20),
    (1_000, 4_999, 10),
    (5_000, 60_000, 5),
)
RUNG_WEIGHTS = (35, 30, 15, 10, 6, 4)  # prospect … partner: fewer the higher the ladder


@dataclass(frozen=True)
class Country:
    """How companies and people of one country look: legal forms, money, addresses, names."""

    name: str
    tld: str
    legal_forms: tuple[str, ...]
    currency: str
    per_euro: float  # so an invoice of the same size reads right in every currency
    people: str  # key of PEOPLE
    address: str
    streets: tuple[str, ...]
    mobile: str  # '#' is any digit; empty where mobiles share the city's numbers


COUNTRIES = {
    "DE": Country("Germany", "de", ("GmbH", "GmbH", "AG", "GmbH & Co. KG"), "EUR", 1.0, "de",
                  "{street} {number}", ("Hauptstraße", "Bahnhofstraße", "Industriestraße",
                  "Am Hafen", "Gutenbergstraße", "Schillerstraße", "Lindenallee"),
                  "+49 15# #######"),
    "AT": Country("Austria", "at", ("GmbH", "AG"), "EUR", 1.0, "de", "{street} {number}",
                  ("Mariahilfer Straße", "Landstraße", "Herrengasse", "Wiener Straße"),
                  "+43 66# ### ####"),
    "CH": Country("Switzerland", "ch", ("AG", "GmbH"), "CHF", 0.95, "de", "{street} {number}",
                  ("Bahnhofstrasse", "Seestrasse", "Freie Strasse", "Industriestrasse"),
                  "+41 7# ### ## ##"),
    "GB": Country("United Kingdom", "co.uk", ("Ltd", "Ltd", "plc"), "GBP", 0.85, "en",
                  "{number} {street}", ("High Street", "Station Road", "Church Lane",
                  "Mill Road", "King Street", "Victoria Road"), "+44 7### ######"),
    "IE": Country("Ireland", "ie", ("Ltd", "DAC"), "EUR", 1.0, "en", "{number} {street}",
                  ("Grafton Street", "Patrick Street", "Harbour Road", "Main Street"),
                  "+353 8# ### ####"),
    "FR": Country("France", "fr", ("SAS", "SA", "SARL"), "EUR", 1.0, "fr", "{number} {street}",
                  ("rue de la République", "avenue Jean Jaurès", "boulevard Voltaire",
                  "quai des Chartrons", "rue Pasteur", "rue du Général-de-Gaulle"),
                  "+33 6 ## ## ## ##"),
    "ES": Country("Spain", "es", ("S.L.", "S.A."), "EUR", 1.0, "es", "{street}, {number}",
                  ("Calle Mayor", "Calle de Alcalá", "Gran Vía", "Paseo de Gracia",
                  "Avenida de la Constitución", "Calle Núñez de Balboa"), "+34 6## ### ###"),
    "IT": Country("Italy", "it", ("S.p.A.", "S.r.l."), "EUR", 1.0, "it", "{street}, {number}",
                  ("Via Roma", "Corso Vittorio Emanuele II", "Via Garibaldi", "Viale Monza",
                  "Via Torino"), "+39 3## ### ####"),
    "NL": Country("Netherlands", "nl", ("B.V.", "N.V."), "EUR", 1.0, "nl", "{street} {number}",
                  ("Keizersgracht", "Stationsplein", "Coolsingel", "Oudegracht",
                  "Nieuwe Binnenweg"), "+31 6 ########"),
    "DK": Country("Denmark", "dk", ("A/S", "ApS"), "DKK", 7.46, "nordic", "{street} {number}",
                  ("Vestergade", "Østergade", "Nørrebrogade", "Strandvejen", "Søndergade",
                  "Åboulevarden"), "+45 ## ## ## ##"),
    "SE": Country("Sweden", "se", ("AB",), "SEK", 11.2, "nordic", "{street} {number}",
                  ("Storgatan", "Drottninggatan", "Kungsgatan", "Sveavägen", "Götgatan"),
                  "+46 7# ### ## ##"),
    "NO": Country("Norway", "no", ("AS", "ASA"), "NOK", 11.6, "nordic", "{street} {number}",
                  ("Karl Johans gate", "Storgata", "Kongens gate", "Møllergata"),
                  "+47 4## ## ###"),
    "FI": Country("Finland", "fi", ("Oy", "Oyj"), "EUR", 1.0, "fi", "{street} {number}",
                  ("Mannerheimintie", "Aleksanterinkatu", "Hämeenkatu", "Pohjoisesplanadi"),
                  "+358 4# ### ####"),
    "PL": Country("Poland", "pl", ("Sp. z o.o.", "S.A."), "PLN", 4.3, "pl", "{street} {number}",
                  ("ul. Marszałkowska", "ul. Długa", "ul. Piotrkowska", "al. Jerozolimskie",
                  "ul. Floriańska"), "+48 5## ### ###"),
    "US": Country("United States", "com", ("Inc.", "LLC", "Corp."), "USD", 1.08, "us",
                  "{number} {street}", ("Main Street", "Market Street", "Oak Avenue",
                  "Broadway", "Elm Street", "Peachtree Street"), ""),
    "CA": Country("Canada", "ca", ("Inc.", "Ltd.", "Corp."), "CAD", 1.48, "en",
                  "{number} {street}", ("King Street West", "Queen Street", "Main Street",
                  "Wellington Street", "Bay Street"), ""),
}  # fmt: skip


@dataclass(frozen=True)
class City:
    """A city of the territory, with its postal code and phone number shapes."""

    name: str
    country: str  # key of COUNTRIES
    postal: str  # '#' is any digit, '@' any capital letter
    phone: str


CITIES = (
    City("Hamburg", "DE", "20###", "+49 40 ### ####"),
    City("München", "DE", "80###", "+49 89 #### ###"),
    City("Berlin", "DE", "10###", "+49 30 #### ####"),
    City("Köln", "DE", "50###", "+49 221 ### ####"),
    City("Frankfurt am Main", "DE", "60###", "+49 69 ### ####"),
    City("Stuttgart", "DE", "70###", "+49 711 ### ####"),
    City("Düsseldorf", "DE", "40###", "+49 211 ### ####"),
    City("Leipzig", "DE", "04###", "+49 341 ### ####"),
    City("Wien", "AT", "1##0", "+43 1 ### ####"),
    City("Graz", "AT", "80#0", "+43 316 ### ###"),
    City("Zürich", "CH", "80##", "+41 44 ### ## ##"),
    City("Basel", "CH", "40##", "+41 61 ### ## ##"),
    City("London", "GB", "EC# #@@", "+44 20 #### ####"),
    City("Manchester", "GB", "M# #@@", "+44 161 ### ####"),
    City("Leeds", "GB", "LS# #@@", "+44 113 ### ####"),
    City("Bristol", "GB", "BS# #@@", "+44 117 ### ####"),
    City("Edinburgh", "GB", "EH# #@@", "+44 131 ### ####"),
    City("Dublin", "IE", "D0# @###", "+353 1 ### ####"),
    City("Cork", "IE", "T12 @###", "+353 21 ### ####"),
    City("Paris", "FR", "750##", "+33 1 ## ## ## ##"),
    City("Lyon", "FR", "6900#", "+33 4 ## ## ## ##"),
    City("Toulouse", "FR", "3100#", "+33 5 ## ## ## ##"),
    City("Lille", "FR", "5900#", "+33 3 ## ## ## ##"),
    City("Madrid", "ES", "280##", "+34 91 ### ## ##"),
    City("Barcelona", "ES", "080##", "+34 93 ### ## ##"),
    City("Bilbao", "ES", "480##", "+34 94 ### ## ##"),
    City("Sevilla", "ES", "410##", "+34 95 ### ## ##"),
    City("Milano", "IT", "201##", "+39 02 #### ####"),
    City("Torino", "IT", "101##", "+39 011 ### ####"),
    City("Bologna", "IT", "401##", "+39 051 ### ####"),
    City("Amsterdam", "NL", "10## @@", "+31 20 ### ####"),
    City("Rotterdam", "NL", "30## @@", "+31 10 ### ####"),
    City("Eindhoven", "NL", "56## @@", "+31 40 ### ####"),
    City("København", "DK", "1###", "+45 3# ## ## ##"),
    City("Aarhus", "DK", "8000", "+45 8# ## ## ##"),
    City("Odense", "DK", "5000", "+45 6# ## ## ##"),
    City("Stockholm", "SE", "11# ##", "+46 8 ### ### ##"),
    City("Göteborg", "SE", "41# ##", "+46 31 ### ## ##"),
    City("Malmö", "SE", "21# ##", "+46 40 ### ## ##"),
    City("Oslo", "NO", "0###", "+47 2# ## ## ##"),
    City("Bergen", "NO", "50##", "+47 55 ## ## ##"),
    City("Helsinki", "FI", "00###", "+358 9 ### ####"),
    City("Tampere", "FI", "33###", "+358 3 ### ####"),
    City("Warszawa", "PL", "00-###", "+48 22 ### ## ##"),
    City("Kraków", "PL", "30-###", "+48 12 ### ## ##"),
    City("Gdańsk", "PL", "80-###", "+48 58 ### ## ##"),
    City("New York", "US", "100##", "+1 212 555 ####"),
    City("Chicago", "US", "606##", "+1 312 555 ####"),
    City("Boston", "US", "021##", "+1 617 555 ####"),
    City("Austin", "US", "787##", "+1 512 555 ####"),
    City("Seattle", "US", "981##", "+1 206 555 ####"),
    City("Atlanta", "US", "303##", "+1 404 555 ####"),
    City("Denver", "US", "802##", "+1 303 555 ####"),
    City("Toronto", "CA", "M5@ #@#", "+1 416 555 ####"),
    City("Vancouver", "CA", "V6@ #@#", "+1 604 555 ####"),
    City("Montréal", "CA", "H3@ #@#", "+1 514 555 ####"),
    City("Calgary", "CA", "T2@ #@#", "+1 403 555 ####"),
)

# --- People -----------------------------------------------------------------------------

# (first names, last names) per naming tradition.
PEOPLE = {
    "de": (
        ("Anna", "Lukas", "Jürgen", "Sophie", "Maximilian", "Katrin", "Jörg", "Lena", "Tobias",
         "Sabine", "Björn", "Hannah", "Matthias", "Özlem", "Felix", "Ute"),
        ("Müller", "Schmidt", "Schröder", "Weiß", "Fischer", "Becker", "Hoffmann", "Schäfer",
         "Köhler", "Wagner", "Yılmaz", "Krüger", "Zimmermann", "Braun", "Großmann", "Keller"),
    ),
    "en": (
        ("James", "Olivia", "Harry", "Amelia", "George", "Siobhan", "Priya", "Oliver",
         "Charlotte", "Niamh", "Thomas", "Emily", "Rhys", "Grace", "Aidan", "Fatima"),
        ("Smith", "Jones", "Taylor", "Brown", "O'Brien", "Patel", "Evans", "Walker", "Wright",
         "Murphy", "Khan", "Thompson", "Hughes", "Robinson", "Byrne", "Campbell"),
    ),
    "us": (
        ("Michael", "Jennifer", "David", "Ashley", "Jamal", "María", "Kevin", "Emily", "Carlos",
         "Sarah", "Tyler", "Mei", "Brandon", "Jessica", "José", "Aaliyah"),
        ("Johnson", "Williams", "García", "Miller", "Davis", "Rodríguez", "Martínez", "Nguyen",
         "Anderson", "Jackson", "Kim", "Lee", "Hernández", "Washington", "Cohen", "Brooks"),
    ),
    "fr": (
        ("Camille", "Léa", "Théo", "Chloé", "Hugo", "Manon", "Étienne", "Inès", "Julien",
         "Amélie", "Benoît", "Zoé", "François", "Hélène"),
        ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Rousseau",
         "Mercier", "Fournier", "Lemaître", "Bonnet", "Faure", "Chevalier"),
    ),
    "es": (
        ("Lucía", "Javier", "María", "Alejandro", "Sofía", "Pablo", "Carmen", "Álvaro",
         "Elena", "Sergio", "Begoña", "Íñigo", "Paula", "Andrés"),
        ("García", "Núñez", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
         "Jiménez", "Muñoz", "Ibáñez", "Romero", "Ortiz", "Castaño"),
    ),
    "it": (
        ("Giulia", "Marco", "Francesca", "Alessandro", "Chiara", "Luca", "Martina", "Niccolò",
         "Sara", "Matteo", "Elisa", "Andrea"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
         "Marino", "Greco", "Bruno", "De Luca"),
    ),
    "nl": (
        ("Daan", "Sanne", "Bram", "Femke", "Joost", "Lotte", "Sem", "Eva", "Ruud", "Anouk",
         "Thijs", "Marieke"),
        ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer",
         "van Dijk", "Mulder", "de Boer", "Vos"),
    ),
    "nordic": (
        ("Søren", "Ingrid", "Magnus", "Freja", "Lars", "Astrid", "Mikkel", "Sigrid", "Björn",
         "Maja", "Henrik", "Åsa", "Jørgen", "Linnéa", "Oskar"),
        ("Søndergaard", "Nielsen", "Jensen", "Andersson", "Johansson", "Hansen", "Lindqvist",
         "Bergström", "Kristiansen", "Østergaard", "Sjöberg", "Dahl", "Holm", "Ødegaard",
         "Lindgren"),
    ),
    "fi": (
        ("Aino", "Mikko", "Eeva", "Juha", "Sanna", "Antti", "Päivi", "Jukka", "Kaisa", "Ville"),
        ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
         "Heikkinen", "Koskinen", "Järvinen"),
    ),
    "pl": (
        ("Agnieszka", "Piotr", "Katarzyna", "Tomasz", "Małgorzata", "Łukasz", "Zofia", "Paweł",
         "Joanna", "Michał", "Ewa", "Krzysztof"),
        ("Nowak", "Kowalczyk", "Wójcik", "Kamińska", "Lewandowski", "Zieliński", "Szymańska",
         "Woźniak", "Dąbrowski", "Kozłowska", "Mazur", "Krawczyk"),
    ),
}  # fmt: skip
NAMING_TRADITIONS = tuple(PEOPLE)
FOREIGN_NAME_SHARE = 0.15  # people move: some contacts carry names from elsewhere
CONTACT_COUNT_WEIGHTS = (15, 25, 25, 17, 10, 8)  # 1 … 6 contacts, about 3 on average
_DR = DealRole
# A contact's title and the deal roles that title usually plays.
CONTACT_TITLES = (
    ("Chief Executive Officer", (_DR.DECISION_MAKER,)),
    ("Managing Director", (_DR.DECISION_MAKER, _DR.ECONOMIC_BUYER)),
    ("Chief Financial Officer", (_DR.ECONOMIC_BUYER, _DR.BLOCKER)),
    ("Head of Procurement", (_DR.ECONOMIC_BUYER, _DR.GATEKEEPER, _DR.DECISION_MAKER)),
    ("Purchasing Manager", (_DR.INFLUENCER, _DR.GATEKEEPER)),
    ("Buyer", (_DR.GATEKEEPER, _DR.USER)),
    ("Head of Operations", (_DR.DECISION_MAKER, _DR.CHAMPION)),
    ("Operations Manager", (_DR.CHAMPION, _DR.USER, _DR.INFLUENCER)),
    ("IT Director", (_DR.TECHNICAL_EVALUATOR, _DR.BLOCKER, _DR.DECISION_MAKER)),
    ("Systems Administrator", (_DR.TECHNICAL_EVALUATOR, _DR.USER)),
    ("Plant Manager", (_DR.CHAMPION, _DR.INFLUENCER)),
    ("Logistics Coordinator", (_DR.USER,)),
    ("Head of Quality", (_DR.INFLUENCER, _DR.TECHNICAL_EVALUATOR)),
    ("Office Manager", (_DR.GATEKEEPER,)),
    ("Sustainability Lead", (_DR.INFLUENCER, _DR.CHAMPION)),
    ("Executive Assistant", (_DR.GATEKEEPER,)),
)
# Colleagues in our own company and the one role each plays on accounts.
COLLEAGUES = (
    ("Hanna Berg", TeamRole.MARKETING_OWNER),
    ("Tom Okafor", TeamRole.MARKETING_OWNER),
    ("Chiara Lombardi", TeamRole.MARKETING_OWNER),
    ("Mia Schulz", TeamRole.MARKETING_OWNER),
    ("Jonas Weber", TeamRole.SERVICE_REP),
    ("Aisha Rahman", TeamRole.SERVICE_REP),
    ("Pedro Alves", TeamRole.SERVICE_REP),
    ("Emma Lindholm", TeamRole.SERVICE_REP),
    ("Kenji Watanabe", TeamRole.SERVICE_REP),
    ("Fatima El Idrissi", TeamRole.SERVICE_REP),
    ("Sandra Kühn", TeamRole.BILLING_CONTACT),
    ("Olu Adeyemi", TeamRole.BILLING_CONTACT),
    ("Marta Kowalczyk", TeamRole.BILLING_CONTACT),
    ("Greta Nilsson", TeamRole.BILLING_CONTACT),
    ("Rafael Ortega", TeamRole.PARTNER_MANAGER),
    ("Claire Dubois", TeamRole.PARTNER_MANAGER),
    ("Ingrid Solberg", TeamRole.PARTNER_MANAGER),
    ("Niklas Brandt", TeamRole.SOLUTIONS_ENGINEER),
    ("Priya Nair", TeamRole.SOLUTIONS_ENGINEER),
    ("Dmitri Volkov", TeamRole.SOLUTIONS_ENGINEER),
    ("Ana Ferreira", TeamRole.SOLUTIONS_ENGINEER),
    ("Katharina von Stein", TeamRole.EXECUTIVE_SPONSOR),
    ("Richard Hale", TeamRole.EXECUTIVE_SPONSOR),
    ("Élodie Marchand", TeamRole.EXECUTIVE_SPONSOR),
    ("Søren Dahl", TeamRole.EXECUTIVE_SPONSOR),
)
COLLEAGUES_BY_ROLE = {role: tuple(name for name, r in COLLEAGUES if r is role) for role in TeamRole}
PROSPECT_TEAM = (TeamRole.MARKETING_OWNER, TeamRole.SOLUTIONS_ENGINEER)
CUSTOMER_TEAM = tuple(r for r in TeamRole if r is not TeamRole.PARTNER_MANAGER)

# --- Ladder -----------------------------------------------------------------------------

TRADE_FAIRS = ("Hannover Messe", "LogiMAT", "Anuga", "ProMat", "bauma", "SIAL Paris")
LADDER_REASONS = {
    LadderRung.PROSPECT: (
        "Met at {fair}",
        "Inbound demo request",
        "Downloaded the buyer's guide",
        "Referred by an existing customer",
    ),
    LadderRung.CUSTOMER: ("Signed first order", "First order after a pilot", "Won the tender"),
    LadderRung.CLIENT: (
        "Renewed the annual contract",
        "Third repeat order this year",
        "Signed a framework agreement",
    ),
    LadderRung.SUPPORTER: (
        "Agreed to act as a reference",
        "Strong quarterly review; expanding to a second site",
        "Gave us a 9 and offered to talk to prospects",
    ),
    LadderRung.ADVOCATE: (
        "Published a case study with us",
        "Spoke at our user conference",
        "Referred two new customers",
    ),
    LadderRung.PARTNER: (
        "Signed a reseller agreement",
        "Agreed a joint go-to-market plan",
        "Became a certified implementation partner",
    ),
}

# --- Activity ---------------------------------------------------------------------------

_AT = ActivityType
CHANNEL_OF = {
    **dict.fromkeys(
        (_AT.WEBINAR_REGISTERED, _AT.WEBINAR_ATTENDED, _AT.EMAIL_SENT, _AT.EMAIL_OPENED,
         _AT.EMAIL_CLICKED, _AT.PAGE_VISIT, _AT.CONTENT_DOWNLOAD, _AT.FORM_FILL),
        Channel.MARKETING,
    ),
    **dict.fromkeys(
        (_AT.TICKET_OPENED, _AT.TICKET_CLOSED, _AT.NPS_RESPONSE), Channel.SERVICE
    ),
    **dict.fromkeys(
        (_AT.INVOICE_ISSUED, _AT.INVOICE_PAID, _AT.INVOICE_OVERDUE, _AT.CREDIT_HOLD,
         _AT.DISPUTE_OPENED, _AT.DISPUTE_RESOLVED),
        Channel.BILLING,
    ),
    **dict.fromkeys((_AT.MEETING_HELD, _AT.CALL_LOGGED), Channel.SALES),
}  # fmt: skip
AFTER_FIRST_ORDER = (Channel.SERVICE, Channel.BILLING)  # nothing to serve or bill before
SOURCE_SYSTEMS = {
    Channel.MARKETING: "hubspot",
    Channel.SERVICE: "zendesk",
    Channel.BILLING: "netsuite",
    Channel.SALES: "salesforce",
}
NPS_SOURCE = "qualtrics"
OWN_SOURCE = "fieldbrief"  # what the rep did in this app
# Share of events per channel: prospects only hear from marketing and sales.
PROSPECT_CHANNELS: tuple[tuple[Channel, ...], tuple[int, ...]] = (
    (Channel.MARKETING, Channel.SALES),
    (85, 15),
)
CUSTOMER_CHANNELS: tuple[tuple[Channel, ...], tuple[int, ...]] = (
    (Channel.MARKETING, Channel.SERVICE, Channel.BILLING, Channel.SALES),
    (38, 25, 27, 10),
)
ACTIVITIES_PER_ACCOUNT = {"prospect": (2, 8), "customer": (6, 16)}
WEBINAR_TOPICS = (
    "Pricing in {next_year}",
    "What's new in {year}",
    "Automating your warehouse",
    "Cold-chain compliance without the paperwork",
    "Sustainability reporting for {next_year}",
    "Cutting freight costs",
    "Ask the engineers: Q&A",
)
EMAIL_CAMPAIGNS = (
    "{season} newsletter",
    "Product update: {month} {year}",
    "Invitation: Customer Day {year}",
    "Case study: how Nordwind cut downtime",
    "Your {year} price list",
)
SEASONS = ("Winter", "Winter", "Spring", "Spring", "Spring", "Summer", "Summer", "Summer",
           "Autumn", "Autumn", "Autumn", "Winter")  # fmt: skip
PAGES = ("/pricing", "/product/tracker", "/customers", "/security", "/integrations", "/careers",
         "/docs/api", "/contact")  # fmt: skip
ASSETS = (
    "Buyer's guide: fleet telematics",
    "Whitepaper: cold-chain compliance",
    "ROI calculator",
    "Case study: Brightwater Foods",
    "Checklist: switching suppliers",
)
FORMS = ("Contact sales", "Request a demo", "Newsletter sign-up", "Price list request")
TICKET_SUBJECTS = (
    "Export fails",
    "Login problems after password reset",
    "Sensor offline",
    "Reports load slowly",
    "Wrong invoice address",
    "API timeouts",
    "Delivery arrived damaged",
    "Missing items in shipment",
    "Label printer not recognised",
    "Sync stuck at 80%",
)
# Severity 1 is the worst; urgent tickets are rarer and closed faster.
SEVERITY_WEIGHTS = (5, 15, 45, 35)
DAYS_TO_CLOSE = {1: 2, 2: 5, 3: 14, 4: 30}
NPS_COMMENTS = {
    "detractor": (
        "too slow to respond",
        "the last delivery was late",
        "invoices are confusing",
        "support never called back",
        "prices went up again",
    ),
    "passive": (
        "fine, but pricey",
        "good product, onboarding took long",
        "okay, reporting could be better",
    ),
    "promoter": (
        "great service team",
        "reliable deliveries",
        "our account manager really listens",
        "the app saves us hours every week",
    ),
}
NPS_WEIGHTS = {
    "customer": (2, 2, 3, 4, 5, 7, 9, 12, 16, 14, 10),
    "fan": (1, 1, 1, 1, 2, 3, 5, 10, 18, 22, 20),  # supporters and up
}
DISPUTE_REASONS = (
    "price differs from the quote",
    "goods damaged on arrival",
    "invoiced twice",
    "service not delivered",
    "wrong VAT rate",
)
CALL_TOPICS = (
    "follow-up on the proposal",
    "renewal timing",
    "left a voicemail",
    "pricing questions",
    "delivery delay",
    "introduced the new service manager",
    "reference call request",
    "budget for next year",
)
CURRENCY_FORMATS = {
    "EUR": "€{:,}",
    "GBP": "£{:,}",
    "USD": "${:,}",
    "CAD": "C${:,}",
    "CHF": "CHF {:,}",
    "DKK": "DKK {:,}",
    "SEK": "SEK {:,}",
    "NOK": "NOK {:,}",
    "PLN": "PLN {:,}",
}

# --- Meetings and notes -----------------------------------------------------------------

# Purposes per kind of relationship, each with what the visit note tends to say about it.
PROSPECT_PURPOSES = ("Discovery call", "Product demo", "Pricing discussion", "Site visit")
CUSTOMER_PURPOSES = (
    "Quarterly review",
    "Renewal discussion",
    "Onboarding check-in",
    "Escalation: open ticket",
    "Executive briefing",
    "Product demo",
    "Upsell: second site",
)
PARTNER_PURPOSES = ("Joint account planning", "Partner pipeline review", "Quarterly review")
VIDEO_SHARE = 0.3
NOTE_OPENERS_ON_SITE = (
    "Visited {c1} at their {city} office.",
    "Met {c1} and {c2} on site in {city}.",
    "Good visit in {city}; {c1} gave us a tour of the floor first.",
    "Short visit, {c1} was called away after half an hour.",
)
NOTE_OPENERS_VIDEO = (
    "Video call with {c1}.",
    "Call with {c1} and {c2}; camera off on their side.",
    "Quick video call, {c1} had prepared a list of questions.",
)
NOTE_TOPICS = {
    "Discovery call": (
        "They run {competitor} today and are unhappy with delivery times.",
        "Main pain is manual re-keying of orders; about {hours} hours a week.",
    ),
    "Product demo": (
        "Showed the reporting module; {c1} liked the export to Excel.",
        "Demo went well, but IT has questions about single sign-on.",
    ),
    "Pricing discussion": (
        "Procurement asks for {pct}% off list for a three-year term.",
        "They compare us with {competitor}, who quoted lower but without service.",
    ),
    "Site visit": ("Walked the warehouse; {hours} loading bays could use the trackers.",),
    "Quarterly review": (
        "Volume is up about {pct}% on last year; service tickets are down.",
        "Went through open tickets; they want faster first answers from support.",
    ),
    "Renewal discussion": (
        "Contract runs out in {month}; they want a three-year term if we hold prices.",
        "Renewal is likely, but finance wants 60-day payment terms.",
    ),
    "Onboarding check-in": (
        "Roll-out is at {pct}% of sites; training for the night shift is missing.",
        "Users like the app; the import of old orders still has gaps.",
    ),
    "Escalation: open ticket": (
        "The open ticket costs them real money; {c1} wants a fix date in writing.",
        "Walked through the timeline of the outage and what we changed since.",
    ),
    "Executive briefing": (
        "Their board pushes for lower logistics costs by {pct}% next year.",
        "{c1} sees us as a strategic supplier if we can cover {city2} too.",
    ),
    "Upsell: second site": (
        "New site in {city2} opens in {month}; needs the same setup.",
        "They would add {hours} users at the new site if pricing scales.",
    ),
    "Joint account planning": (
        "Agreed on ten target accounts in {city2} for next quarter.",
        "They want co-funded marketing for the spring campaign.",
    ),
    "Partner pipeline review": (
        "Pipeline looks healthy; two deals at contract stage.",
        "Their certified engineers are fully booked until {month}.",
    ),
}
NOTE_FINDINGS = (
    "{c1} mentioned they are opening a new warehouse in {city2}.",
    "{competitor} has been in twice this quarter with aggressive pricing.",
    "Budget for next year is approved.",
    "{c1} moves to a new role in {month}; need to meet the successor.",
    "They asked for references in {industry}.",
    "Payment terms are a sore point with their finance team.",
    "Very open conversation, better than last time.",
)
NOTE_NEXT_STEPS = (
    "Agreed to send a revised quote by Friday.",
    "Next step: a demo for the IT team.",
    "Will follow up in two weeks.",
    "Promised to check the open ticket with service.",
    "They will come back after their budget meeting.",
)
COMPETITORS = ("Globex", "Initech", "Umbrella Supply", "Vandelay Industries", "Stark Logistics")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
TASK_TITLES = (
    "Send revised quote to {c1}",
    "Book a demo for their IT team",
    "Send the case study from {industry}",
    "Ask service about the open ticket",
    "Invite {c1} to the Customer Day",
    "Prepare the renewal offer",
    "Send meeting summary to {c1}",
    "Clarify payment terms with finance",
    "Introduce {c1} to our solutions engineer",
)
RUNGS = tuple(LadderRung)


@dataclass(frozen=True)
class DemoSummary:
    """How many rows of each kind a demo territory has."""

    accounts: int
    contacts: int
    meetings: int
    notes: int
    tasks: int
    activities: int
    open_disputes: int
    profile_answers: int = 0


def demo_rows(
    accounts: int, seed: int, *, today: date, territory: str = "demo", owner_rep: str = "demo"
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The demo territory as (entity, row) pairs, parents before children, for stores that
    take one row at a time (the server's demo)."""
    demo = DemoTerritory(accounts, seed, today, territory, owner_rep)
    for start in range(0, accounts, BATCH_ACCOUNTS):
        for entity, rows in demo.rows_of(range(start, min(start + BATCH_ACCOUNTS, accounts))):
            for row in rows:
                yield entity, row


class _Rows:
    """Rows made but not yet handed over, per entity, and how many of each were."""

    # Parents before children, so every foreign key holds at every statement.
    ORDER = (
        "account",
        "contact",
        "profile_answer",
        "lead",
        "team_member",
        "ladder_change",
        "meeting",
        "meeting_attendee",
        "visit_note",
        "task",
        "activity",
    )

    def __init__(self) -> None:
        self.pending: dict[str, list[dict[str, Any]]] = {e: [] for e in self.ORDER}
        self.counts: dict[str, int] = dict.fromkeys(self.ORDER, 0)

    def add(self, entity: str, row: dict[str, Any]) -> None:
        self.pending[entity].append(row)

    def take(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """The pending rows of each entity with any, in ORDER; they count as handed over."""
        taken = [(entity, rows) for entity, rows in self.pending.items() if rows]
        for entity, rows in taken:
            self.counts[entity] += len(rows)
            self.pending[entity] = []
        return taken


@dataclass(slots=True)
class _Person:
    id: uuid.UUID
    first: str
    last: str


@dataclass(slots=True)
class _Company:
    """What the generators of one account's rows need to know about it."""

    id: uuid.UUID
    name: str
    industry: str
    employees: int
    city: City
    country: Country
    address: str
    domain: str
    rung: LadderRung
    since: datetime  # first contact
    customer_since: datetime | None
    invoice_size: int  # in euro
    disputed: bool  # has an open dispute
    people: list[_Person] = field(default_factory=list)


class DemoTerritory:
    """Makes the territory account by account, drawing everything from one seeded source.

    The same (accounts, seed, today) always makes the same rows, ids and timestamps
    included. Rows hold the values of the app's columns (ids as UUIDs, times as aware
    datetimes, enum members), the columns the store manages itself among them.
    """

    def __init__(
        self, accounts: int, seed: int, today: date, territory: str, owner_rep: str
    ) -> None:
        if accounts < 1:
            raise ValueError(f"a demo territory needs at least one account, not {accounts}")
        self.rng = random.Random(seed)
        self.total = accounts
        self.today = date(today.year, today.month, today.day)
        # Midnight starting today: history lies before it, this week's meetings after.
        self.now = datetime.combine(self.today, time(0), tzinfo=UTC)
        self.territory = territory
        self.owner_rep = owner_rep
        self.rows = _Rows()
        self.names: set[str] = set()
        self.domains: set[str] = set()
        self.open_disputes = 0
        self.made_activities = 0
        self.invoice_numbers = itertools.count(self.rng.randint(1_000, 9_000))
        self.ticket_numbers = itertools.count(self.rng.randint(20_000, 60_000))
        # Decided up front for the whole territory, so caps hold however many accounts.
        self.rungs = self.rng.choices(RUNGS, weights=RUNG_WEIGHTS, k=accounts)
        self.week = self._plan_week()
        self.past = self._plan_past_meetings()
        self.disputed = self._plan_disputes()

    def rows_of(self, indexes: range) -> list[tuple[str, list[dict[str, Any]]]]:
        """Makes accounts `indexes` (the next ones, in order) with everything around them,
        and hands over their rows: (entity, rows), parents before children."""
        for index in indexes:
            self.add_account(index)
        return self.rows.take()

    def summary(self) -> DemoSummary:
        """How many rows of each kind were handed over."""
        counts = self.rows.counts
        return DemoSummary(
            accounts=counts["account"],
            contacts=counts["contact"],
            meetings=counts["meeting"],
            notes=counts["visit_note"],
            tasks=counts["task"],
            activities=counts["activity"],
            open_disputes=self.open_disputes,
            profile_answers=counts["profile_answer"],
        )

    # --- plans --------------------------------------------------------------------------

    def _plan_week(self) -> dict[int, list[tuple[datetime, datetime]]]:
        """Meetings of the 7 days from today: every weekday gets one before any gets two."""
        rng = self.rng
        count = min(rng.randint(*WEEK_MEETINGS), self.total)
        weekdays = [
            self.today + timedelta(days=d)
            for d in range(7)
            if (self.today + timedelta(days=d)).weekday() < 5
        ]
        per_day = dict.fromkeys(weekdays[:count], 1)
        for _ in range(count - len(per_day)):
            day = rng.choice([d for d in weekdays if per_day[d] < MAX_MEETINGS_PER_DAY])
            per_day[day] += 1
        slots = [slot for day, n in sorted(per_day.items()) for slot in self._day_slots(day, n)]
        plan: dict[int, list[tuple[datetime, datetime]]] = {}
        for index, slot in zip(rng.sample(range(self.total), count), slots, strict=True):
            plan.setdefault(index, []).append(slot)
        return plan

    def _day_slots(self, day: date, count: int) -> list[tuple[datetime, datetime]]:
        """`count` non-overlapping meetings between 08:00 and 17:00, on quarter hours."""
        opening = datetime.combine(day, time(8), tzinfo=UTC)
        window = 9 * 60 // count  # minutes; each meeting keeps to its share of the day
        slots = []
        for k in range(count):
            minutes = self.rng.choice([m for m in (30, 45, 60, 90) if m <= window])
            offset = k * window // 15 * 15 + self.rng.randint(0, (window - minutes) // 15) * 15
            start = opening + timedelta(minutes=offset)
            slots.append((start, start + timedelta(minutes=minutes)))
        return slots

    def _plan_past_meetings(self) -> dict[int, int]:
        """How many visits of the last year each visited account had, in all at most 2,000."""
        rng = self.rng
        visited = min(round(self.total * PAST_MEETING_SHARE), MAX_PAST_MEETINGS // 2)
        plan, budget = {}, MAX_PAST_MEETINGS
        for index in rng.sample(range(self.total), visited):
            plan[index] = min(rng.randint(1, 3), budget)
            budget -= plan[index]
            if budget == 0:
                break
        return plan

    def _plan_disputes(self) -> set[int]:
        """Accounts with an open billing dispute: only customers can dispute an invoice."""
        customers = [i for i, rung in enumerate(self.rungs) if rung is not LadderRung.PROSPECT]
        wanted = min(round(self.total * OPEN_DISPUTE_SHARE), len(customers))
        return set(self.rng.sample(customers, wanted))

    # --- helpers ------------------------------------------------------------------------

    def _new_id(self) -> uuid.UUID:
        """A random (version 4) UUID, but from the seeded source, so runs repeat."""
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _synced(
        self, created: datetime, updated: datetime | None = None, row_id: uuid.UUID | None = None
    ) -> dict[str, Any]:
        """The SyncedRow columns; a new id unless the row's id is already known."""
        return {
            "id": row_id or self._new_id(),
            "created_at": created,
            "updated_at": updated or created,
            "version": 1,
            "deleted_at": None,
        }

    def _between(self, start: datetime, end: datetime) -> datetime:
        span = (end - start).total_seconds()
        return start + timedelta(seconds=int(self.rng.random() * span)) if span > 0 else start

    def _days_ago(self, low: float, high: float) -> datetime:
        """A moment between `low` and `high` days before today, to the second."""
        return self.now - timedelta(seconds=int(self.rng.uniform(low, high) * 86_400))

    def _fill(self, pattern: str) -> str:
        """Replaces each '#' with a digit and each '@' with a capital letter."""
        places = pattern.count("#")
        # One draw for all digits: phone numbers are made for every account and contact.
        digits = iter(f"{self.rng.randrange(10**places):0{places}d}")
        return "".join(
            next(digits) if c == "#" else chr(65 + self.rng.randrange(26)) if c == "@" else c
            for c in pattern
        )

    def _contact_of(self, company: _Company, share: float = 1.0) -> uuid.UUID | None:
        """One of the company's people, or None for `1 - share` of the events."""
        if company.people and self.rng.random() < share:
            return self.rng.choice(company.people).id
        return None

    # --- the account and its people -----------------------------------------------------

    def add_account(self, index: int) -> None:
        """Writes account `index` of the territory with everything around it."""
        rng = self.rng
        rung = self.rungs[index]
        city = rng.choice(CITIES)
        country = COUNTRIES[city.country]
        name, industry, domain = self._company_name(country, city)
        history = self._ladder_times(rung)
        company = _Company(
            id=self._new_id(),
            name=name,
            industry=industry,
            employees=self._employees(),
            city=city,
            country=country,
            address=country.address.format(
                street=rng.choice(country.streets), number=rng.randint(1, 180)
            ),
            domain=domain,
            rung=rung,
            since=history[0],
            customer_since=history[1] if len(history) > 1 else None,
            invoice_size=0,
            disputed=index in self.disputed,
        )
        company.invoice_size = min(250_000, max(600, int(company.employees * rng.uniform(15, 45))))
        self._account_row(company, updated=history[-1])
        self._contacts(company)
        self._profile(company)
        self._lead(company)
        self._team(company)
        self._ladder(company, history)
        self._activities(company)
        for start, end in self.week.get(index, ()):
            self._meeting(company, start, end, created=self._days_ago(1, 21))
        for _ in range(self.past.get(index, 0)):
            self._past_meeting(company)

    def _company_name(self, country: Country, city: City) -> tuple[str, str, str]:
        """A name not yet used in the territory, its industry, and a web domain from it."""
        rng = self.rng
        surnames = PEOPLE[country.people][1]
        parts: tuple[str, ...] = ()
        for _attempt in range(10):
            industry, words = rng.choice(SECTORS)
            word = rng.choice(words)
            if country.people == "de" and industry in GERMAN_SECTOR_WORDS and rng.random() < 0.5:
                word = rng.choice(GERMAN_SECTOR_WORDS[industry])
            roll = rng.random()
            if roll < 0.5:
                parts = (rng.choice(BRAND_HEADS) + rng.choice(BRAND_TAILS), word)
            elif roll < 0.8:
                parts = (rng.choice(surnames), word)
            elif roll < 0.9:
                first, second = rng.sample(surnames, 2)
                parts = (first, "&", second)
            else:
                parts = (rng.choice(BRAND_HEADS) + rng.choice(BRAND_TAILS),)
            name = " ".join((*parts, rng.choice(country.legal_forms)))
            if name not in self.names:
                break
        else:  # a crowded territory: name the branch by its city
            name = " ".join((*parts, city.name, rng.choice(country.legal_forms)))
            name = next(n for n in _numbered(name) if n not in self.names)
        self.names.add(name)
        slug = "-".join(_ascii(p) for p in parts if p != "&")
        domain = next(d for d in _numbered(slug) if f"{d}.{country.tld}" not in self.domains)
        domain = f"{domain}.{country.tld}"
        self.domains.add(domain)
        return name, industry, domain

    def _employees(self) -> int:
        low, high, _ = self.rng.choices(EMPLOYEE_BANDS, weights=[b[2] for b in EMPLOYEE_BANDS])[0]
        count = self.rng.randint(low, high)
        return count if count < 1_000 else round(count, -1)  # big firms give round numbers

    def _account_row(self, company: _Company, updated: datetime) -> None:
        postal_code = self._fill(company.city.postal)
        self.rows.add(
            "account",
            {
                **self._synced(company.since, updated, row_id=company.id),
                "name": company.name,
                "industry": company.industry,
                "employees": company.employees,
                "street": company.address,
                "postal_code": postal_code,
                "city": company.city.name,
                "country": company.country.name,
                "phone": self._fill(company.city.phone),
                "website": f"https://www.{company.domain}",
                "territory": self.territory,
                "owner_rep": self.owner_rep,
                "ladder_rung": company.rung,
            },
        )
        # Meetings on site need the full address; keep it with the company.
        company.address = f"{company.address}, {postal_code} {company.city.name}"

    def _contacts(self, company: _Company) -> None:
        rng = self.rng
        count = rng.choices(range(1, 7), weights=CONTACT_COUNT_WEIGHTS)[0]
        mobile = company.country.mobile or company.city.phone
        for title, roles in rng.sample(CONTACT_TITLES, count):
            tradition = company.country.people
            if rng.random() < FOREIGN_NAME_SHARE:
                tradition = rng.choice(NAMING_TRADITIONS)
            firsts, lasts = PEOPLE[tradition]
            person = _Person(self._new_id(), rng.choice(firsts), rng.choice(lasts))
            company.people.append(person)
            self.rows.add(
                "contact",
                {
                    **self._synced(self._between(company.since, self.now), row_id=person.id),
                    "account_id": company.id,
                    "first_name": person.first,
                    "last_name": person.last,
                    "title": title,
                    "email": f"{_ascii(person.first)}.{_ascii(person.last)}@{company.domain}",
                    "phone": self._fill(company.city.phone),
                    "mobile": self._fill(mobile) if rng.random() < 0.7 else None,
                    "deal_role": rng.choice(roles),
                },
            )

    def _profile(self, company: _Company) -> None:
        """The first contact's customer profile, for some accounts (drawn from a source of
        its own, so the rest of the territory is the same with or without profiles)."""
        person = company.people[0]
        rng = profile_rng(person.id)
        if rng.random() >= PROFILED_SHARE:
            return
        firsts, _lasts = PEOPLE[company.country.people]
        answers = profile_answers(rng, firsts, person.last, self.today)
        start = (company.since - self.now).total_seconds()
        for question, value in answers.items():
            written = self.now + timedelta(seconds=int(rng.uniform(start, -3_600)))
            self.rows.add(
                "profile_answer",
                {
                    **self._synced(written, row_id=answer_id(person.id, question)),
                    "account_id": company.id,
                    "contact_id": person.id,
                    "question_id": question,
                    "value": value,
                    "sensitive": False,
                },
            )

    def _lead(self, company: _Company) -> None:
        """Now and then a lead from marketing for one of the company's people (from a
        source of its own, like the profiles)."""
        person = company.people[-1]
        rng = profile_rng(uuid.UUID(int=person.id.int ^ 0x1EAD))
        lead = lead_fields(rng)
        if lead is None:
            return
        handed = self.now - timedelta(days=lead.pop("days_ago"))
        accepted = lead["status"] == "accepted"
        self.rows.add(
            "lead",
            {
                **self._synced(handed, row_id=uuid.UUID(int=rng.getrandbits(128), version=4)),
                "account_id": company.id,
                "contact_id": person.id,
                "handed_over_at": handed,
                "decided_at": handed + timedelta(hours=20) if accepted else None,
                "decided_by": self.owner_rep if accepted else None,
                **lead,
            },
        )

    def _team(self, company: _Company) -> None:
        rng = self.rng
        if company.rung is LadderRung.PROSPECT:
            roles: tuple[TeamRole, ...] = PROSPECT_TEAM
        elif company.rung is LadderRung.PARTNER:
            roles = tuple(TeamRole)
        else:
            roles = CUSTOMER_TEAM
        for role in rng.sample(roles, min(len(roles), rng.randint(1, 4))):
            name = rng.choice(COLLEAGUES_BY_ROLE[role])
            self.rows.add(
                "team_member",
                {
                    **self._synced(company.since),
                    "account_id": company.id,
                    "name": name,
                    "email": f"{_ascii_email(name)}@{OUR_DOMAIN}",
                    "role": role,
                },
            )

    def _ladder_times(self, rung: LadderRung) -> list[datetime]:
        """When the account reached each rung up to its current one, oldest first."""
        first = self._days_ago(45, 6 * 365)
        later = sorted(
            self._between(first, self.now - timedelta(days=7)) for _ in range(rung.step - 1)
        )
        return [first, *later]

    def _ladder(self, company: _Company, times: list[datetime]) -> None:
        previous: LadderRung | None = None
        for rung, when in zip(RUNGS[: len(times)], times, strict=True):
            reason = self.rng.choice(LADDER_REASONS[rung]).format(fair=self.rng.choice(TRADE_FAIRS))
            self.rows.add(
                "ladder_change",
                {
                    **self._synced(when),
                    "account_id": company.id,
                    "from_rung": previous,
                    "to_rung": rung,
                    "changed_at": when,
                    "reason": reason,
                    "changed_by": self.owner_rep,
                },
            )
            previous = rung

    # --- activity -----------------------------------------------------------------------

    def _activity(
        self,
        company: _Company,
        kind: ActivityType,
        title: str,
        when: datetime,
        details: dict[str, Any],
        contact_id: uuid.UUID | None = None,
        source: str | None = None,
    ) -> None:
        channel = CHANNEL_OF[kind]
        self.made_activities += 1
        self.rows.add(
            "activity",
            {
                **self._synced(when),
                "account_id": company.id,
                "contact_id": contact_id,
                "channel": channel,
                "type": kind.value,
                "title": title,
                "occurred_at": when,
                "details": details,
                "source_system": source or SOURCE_SYSTEMS[channel],
            },
        )

    def _activities(self, company: _Company) -> None:
        """Years of marketing, service, billing and sales events, about ten per account."""
        rng = self.rng
        start = max(company.since, self.now - timedelta(days=HISTORY_DAYS))
        if company.customer_since is None:
            channels, weights = PROSPECT_CHANNELS
            wanted = rng.randint(*ACTIVITIES_PER_ACCOUNT["prospect"])
        else:
            channels, weights = CUSTOMER_CHANNELS
            wanted = rng.randint(*ACTIVITIES_PER_ACCOUNT["customer"])
        served = max(start, company.customer_since or start)
        emitters: dict[Channel, Callable[[_Company, datetime], None]] = {
            Channel.MARKETING: self._marketing_event,
            Channel.SERVICE: self._service_event,
            Channel.BILLING: self._billing_event,
            Channel.SALES: self._sales_event,
        }
        # Events come in stories (sent, opened, clicked): count rows, not events.
        goal = self.made_activities + wanted
        while self.made_activities < goal:
            channel = rng.choices(channels, weights=weights)[0]
            emitters[channel](company, served if channel in AFTER_FIRST_ORDER else start)
        if company.customer_since is not None and rng.random() < STUCK_TICKET_SHARE:
            self._ticket(company, self._days_ago(0.5, 10), severity=rng.choice((1, 2)), stuck=True)
        if company.disputed:
            self._open_dispute(company)

    def _marketing_event(self, company: _Company, start: datetime) -> None:
        roll = self.rng.random()
        when = self._between(start, self.now)
        if roll < 0.4:
            self._email(company, when)
        elif roll < 0.55:
            self._webinar(company, when)
        elif roll < 0.8:
            page = self.rng.choice(PAGES)
            details = {
                "url": page,
                "pages_viewed": self.rng.randint(1, 9),
                "seconds": self.rng.randint(10, 600),
            }
            self._activity(
                company,
                ActivityType.PAGE_VISIT,
                f"Visited {page}",
                when,
                details,
                self._contact_of(company, 0.4),
            )
        elif roll < 0.92:
            asset = self.rng.choice(ASSETS)
            self._activity(
                company,
                ActivityType.CONTENT_DOWNLOAD,
                f"Downloaded: {asset}",
                when,
                {"asset": asset, "campaign": "content"},
                self._contact_of(company),
            )
        else:
            form = self.rng.choice(FORMS)
            self._activity(
                company,
                ActivityType.FORM_FILL,
                f"Filled in form: {form}",
                when,
                {"form": form, "url": "/contact"},
                self._contact_of(company),
            )

    def _email(self, company: _Company, sent: datetime) -> None:
        rng = self.rng
        campaign = rng.choice(EMAIL_CAMPAIGNS).format(
            season=SEASONS[sent.month - 1], month=MONTHS[sent.month - 1], year=sent.year
        )
        contact = self._contact_of(company)
        details = {"campaign": campaign}
        self._activity(
            company, ActivityType.EMAIL_SENT, f"Sent email: {campaign}", sent, details, contact
        )
        opened = sent + timedelta(minutes=rng.randint(5, 3 * 24 * 60))
        if rng.random() < 0.55 and opened < self.now:
            self._activity(
                company,
                ActivityType.EMAIL_OPENED,
                f"Opened email: {campaign}",
                opened,
                details,
                contact,
            )
            clicked = opened + timedelta(seconds=rng.randint(5, 300))
            if rng.random() < 0.35 and clicked < self.now:
                url = rng.choice(PAGES)
                self._activity(
                    company,
                    ActivityType.EMAIL_CLICKED,
                    f"Clicked {url} in email: {campaign}",
                    clicked,
                    {**details, "url": url},
                    contact,
                )

    def _webinar(self, company: _Company, registered: datetime) -> None:
        rng = self.rng
        topic = rng.choice(WEBINAR_TOPICS).format(
            year=registered.year, next_year=registered.year + 1
        )
        contact = self._contact_of(company)
        details = {"webinar": topic, "campaign": f"webinar-{registered:%Y-%m}"}
        self._activity(
            company,
            ActivityType.WEBINAR_REGISTERED,
            f"Registered for webinar: {topic}",
            registered,
            details,
            contact,
        )
        held = registered + timedelta(days=rng.uniform(1, 14))
        if rng.random() < 0.6 and held < self.now:
            self._activity(
                company,
                ActivityType.WEBINAR_ATTENDED,
                f"Attended webinar: {topic}",
                held,
                {**details, "minutes": rng.randint(10, 60)},
                contact,
            )

    def _service_event(self, company: _Company, start: datetime) -> None:
        when = self._between(start, self.now)
        if self.rng.random() < 0.75:
            self._ticket(company, when)
        else:
            self._nps(company, when)

    def _ticket(
        self, company: _Company, opened: datetime, severity: int | None = None, stuck: bool = False
    ) -> None:
        rng = self.rng
        number = next(self.ticket_numbers)
        subject = rng.choice(TICKET_SUBJECTS)
        if severity is None:
            severity = rng.choices((1, 2, 3, 4), weights=SEVERITY_WEIGHTS)[0]
        contact = self._contact_of(company, 0.9)
        details = {"ticket": number, "severity": severity, "subject": subject}
        self._activity(
            company,
            ActivityType.TICKET_OPENED,
            f"Ticket #{number} opened: {subject} (severity {severity})",
            opened,
            {**details, "status": "open"},
            contact,
        )
        closed = opened + timedelta(hours=rng.uniform(1, 24 * DAYS_TO_CLOSE[severity]))
        if not stuck and closed < self.now:
            hours = round((closed - opened).total_seconds() / 3600, 1)
            self._activity(
                company,
                ActivityType.TICKET_CLOSED,
                f"Ticket #{number} closed: {subject}",
                closed,
                {**details, "status": "solved", "resolution_hours": hours},
                contact,
            )

    def _nps(self, company: _Company, when: datetime) -> None:
        rng = self.rng
        fan = company.rung.step >= LadderRung.SUPPORTER.step
        score = rng.choices(range(11), weights=NPS_WEIGHTS["fan" if fan else "customer"])[0]
        band = "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
        comment = rng.choice(NPS_COMMENTS[band]) if rng.random() < 0.7 else ""
        title = f"NPS response: {score} — {comment}" if comment else f"NPS response: {score}"
        survey = f"Q{(when.month - 1) // 3 + 1} {when.year} relationship survey"
        self._activity(
            company,
            ActivityType.NPS_RESPONSE,
            title,
            when,
            {"score": score, "comment": comment, "survey": survey},
            self._contact_of(company),
            NPS_SOURCE,
        )

    def _billing_event(self, company: _Company, start: datetime) -> None:
        # Old disputes were settled long ago: any open one is the latest word.
        settled_by = self.now - timedelta(days=120)
        if self.rng.random() < 0.08 and start < settled_by:
            self._settled_dispute(company, self._between(start, settled_by))
        else:
            self._invoice(company, self._between(start, self.now))

    def _money(self, company: _Company) -> tuple[int, str, str]:
        """An invoice amount in the company's currency, its code, and how it reads."""
        amount = round(
            company.invoice_size * self.rng.uniform(0.6, 1.4) * company.country.per_euro, -2
        )
        currency = company.country.currency
        return int(amount), currency, CURRENCY_FORMATS[currency].format(int(amount))

    def _invoice_number(self, when: datetime) -> str:
        return f"INV-{when.year}-{next(self.invoice_numbers):05d}"

    def _invoice(self, company: _Company, issued: datetime) -> None:
        """Issued, then mostly paid on time; some late, a few recent ones still unpaid."""
        rng = self.rng
        number = self._invoice_number(issued)
        amount, currency, shown = self._money(company)
        due = issued + timedelta(days=30)
        details = {
            "invoice": number,
            "amount": amount,
            "currency": currency,
            "due_date": due.date().isoformat(),
        }
        self._activity(
            company,
            ActivityType.INVOICE_ISSUED,
            f"Invoice {number} issued ({shown})",
            issued,
            details,
        )
        roll = rng.random()
        recent = issued > self.now - timedelta(days=150)
        paid: datetime | None
        if roll < 0.8:
            paid = issued + timedelta(days=rng.uniform(5, 30))
        elif roll < 0.9 or not recent:
            paid = due + timedelta(days=rng.uniform(3, 40))
        else:
            paid = None
        overdue = due + timedelta(days=1)
        if (paid is None or paid > overdue) and overdue < self.now:
            self._activity(
                company,
                ActivityType.INVOICE_OVERDUE,
                f"Invoice {number} overdue ({shown})",
                overdue,
                details,
            )
            hold = overdue + timedelta(days=14)
            if paid is None and hold < self.now and rng.random() < 0.3:
                self._activity(
                    company,
                    ActivityType.CREDIT_HOLD,
                    f"Credit hold: invoice {number} unpaid ({shown})",
                    hold,
                    {**details, "reason": "overdue"},
                )
        if paid is not None and paid < self.now:
            self._activity(
                company,
                ActivityType.INVOICE_PAID,
                f"Invoice {number} paid ({shown})",
                paid,
                details,
            )

    def _settled_dispute(self, company: _Company, opened: datetime) -> None:
        rng = self.rng
        number = self._invoice_number(opened - timedelta(days=rng.randint(5, 40)))
        amount, currency, shown = self._money(company)
        reason = rng.choice(DISPUTE_REASONS)
        details = {"invoice": number, "amount": amount, "currency": currency, "reason": reason}
        contact = self._contact_of(company, 0.5)
        self._activity(
            company,
            ActivityType.DISPUTE_OPENED,
            f"Dispute opened: invoice {number} ({reason})",
            opened,
            {**details, "status": "open"},
            contact,
        )
        credit = round(amount * rng.uniform(0.05, 0.3), -1)
        credit_text = CURRENCY_FORMATS[currency].format(int(credit))
        self._activity(
            company,
            ActivityType.DISPUTE_RESOLVED,
            f"Dispute resolved: invoice {number} (credit note {credit_text})",
            opened + timedelta(days=rng.uniform(3, 45)),
            {**details, "status": "resolved", "credit_amount": int(credit)},
            contact,
        )

    def _open_dispute(self, company: _Company) -> None:
        """A dispute of the last 60 days that nobody has resolved: the rep must know."""
        rng = self.rng
        opened = self._days_ago(0.5, 60)
        issued = opened - timedelta(days=rng.uniform(10, 60))
        number = self._invoice_number(issued)
        amount, currency, shown = self._money(company)
        reason = rng.choice(DISPUTE_REASONS)
        details = {"invoice": number, "amount": amount, "currency": currency}
        self._activity(
            company,
            ActivityType.INVOICE_ISSUED,
            f"Invoice {number} issued ({shown})",
            issued,
            details,
        )
        self._activity(
            company,
            ActivityType.DISPUTE_OPENED,
            f"Dispute opened: invoice {number} ({reason})",
            opened,
            {**details, "reason": reason, "status": "open"},
            self._contact_of(company, 0.7),
        )
        self.open_disputes += 1

    def _sales_event(self, company: _Company, start: datetime) -> None:
        rng = self.rng
        when = self._between(start, self.now)
        if rng.random() < 0.75:
            topic = rng.choice(CALL_TOPICS)
            self._activity(
                company,
                ActivityType.CALL_LOGGED,
                f"Call logged: {topic}",
                when,
                {"minutes": rng.randint(2, 45), "direction": "outbound", "topic": topic},
                self._contact_of(company),
            )
        else:
            purpose = rng.choice(self._purposes(company))
            colleague = rng.choice(COLLEAGUES)[0]
            self._activity(
                company,
                ActivityType.MEETING_HELD,
                f"Meeting held: {purpose}",
                when,
                {"purpose": purpose, "held_by": colleague},
                self._contact_of(company),
            )

    # --- meetings -----------------------------------------------------------------------

    def _purposes(self, company: _Company) -> tuple[str, ...]:
        if company.rung is LadderRung.PROSPECT:
            return PROSPECT_PURPOSES
        if company.rung is LadderRung.PARTNER:
            return PARTNER_PURPOSES
        return CUSTOMER_PURPOSES

    def _meeting(
        self, company: _Company, start: datetime, end: datetime, created: datetime
    ) -> tuple[uuid.UUID, str, str, list[_Person]]:
        """A meeting with 1–3 of the company's people; returns what a note needs."""
        rng = self.rng
        purpose = rng.choice(self._purposes(company))
        place = "Video call" if rng.random() < VIDEO_SHARE else company.address
        row = self._synced(created)
        self.rows.add(
            "meeting",
            {
                **row,
                "account_id": company.id,
                "starts_at": start,
                "ends_at": end,
                "place": place,
                "purpose": purpose,
            },
        )
        attendees = rng.sample(company.people, min(len(company.people), rng.randint(1, 3)))
        for person in attendees:
            self.rows.add(
                "meeting_attendee",
                {**self._synced(created), "meeting_id": row["id"], "contact_id": person.id},
            )
        return row["id"], purpose, place, attendees

    def _past_meeting(self, company: _Company) -> None:
        """A visit of the last year, the rep's note on it, and follow-ups from the note."""
        rng = self.rng
        day = self.today - timedelta(days=rng.randint(1, 363))
        day -= timedelta(days=max(0, day.weekday() - 4))  # weekends move to the Friday before
        start = datetime.combine(day, time(8), tzinfo=UTC) + timedelta(
            minutes=30 * rng.randint(0, 14)
        )
        end = start + timedelta(minutes=rng.choice((30, 45, 60, 90)))
        meeting_id, purpose, place, attendees = self._meeting(
            company, start, end, created=start - timedelta(days=rng.randint(2, 20))
        )
        self._activity(
            company,
            ActivityType.MEETING_HELD,
            f"Meeting held: {purpose}",
            end,
            {"purpose": purpose, "place": place, "attendees": len(attendees)},
            attendees[0].id,
            OWN_SOURCE,
        )
        written = end + timedelta(hours=rng.uniform(0.2, 6))
        note = self._synced(written)
        body = self._note_body(company, purpose, place, attendees)
        self.rows.add(
            "visit_note",
            {
                **note,
                "account_id": company.id,
                "meeting_id": meeting_id,
                "body": body,
                "author": self.owner_rep,
            },
        )
        if rng.random() < 0.6:
            for title in rng.sample(TASK_TITLES, rng.randint(1, 2)):
                self._task(company, note["id"], attendees[0], title, day, written)

    def _note_body(
        self, company: _Company, purpose: str, place: str, attendees: list[_Person]
    ) -> str:
        rng = self.rng
        openers = NOTE_OPENERS_VIDEO if place == "Video call" else NOTE_OPENERS_ON_SITE
        words = {
            "c1": attendees[0].first,
            "c2": attendees[1].first if len(attendees) > 1 else "their team",
            "city": company.city.name,
            "city2": rng.choice(CITIES).name,
            "competitor": rng.choice(COMPETITORS),
            "month": rng.choice(MONTHS),
            "pct": rng.choice((5, 8, 10, 12, 15, 20)),
            "hours": rng.randint(3, 40),
            "industry": company.industry.lower(),
        }
        sentences = (
            rng.choice(openers),
            rng.choice(NOTE_TOPICS[purpose]),
            rng.choice(NOTE_FINDINGS),
            rng.choice(NOTE_NEXT_STEPS),
        )
        return " ".join(s.format(**words) for s in sentences)

    def _task(
        self,
        company: _Company,
        note_id: uuid.UUID,
        person: _Person,
        title: str,
        met: date,
        written: datetime,
    ) -> None:
        """A follow-up due weeks after the visit: old ones mostly done, a few overdue."""
        rng = self.rng
        due = met + timedelta(days=rng.randint(2, 30))
        if due < self.today - timedelta(days=7):
            done = rng.random() < 0.9
        elif due < self.today:
            done = rng.random() < 0.5
        else:
            done = rng.random() < 0.1
        done_at = None
        if done:
            finish = min(datetime.combine(due, time(17), tzinfo=UTC), self.now)
            done_at = self._between(written, finish)
        self.rows.add(
            "task",
            {
                **self._synced(written, done_at),
                "account_id": company.id,
                "contact_id": person.id,
                "note_id": note_id,
                "title": title.format(c1=person.first, industry=company.industry.lower()),
                "due_date": due,
                "done": done,
                "done_at": done_at,
            },
        )


def _numbered(text: str) -> Iterator[str]:
    """`text`, then `text 2`, `text 3`, … for when a name is taken."""
    yield text
    for n in itertools.count(2):
        yield f"{text}-{n}" if " " not in text else f"{text} {n}"


@functools.cache  # names come from small vocabularies; folding each once is enough
def _ascii(text: str) -> str:
    """Lower-case ASCII letters and digits only: 'Núñez' -> 'nunez', 'de Jong' -> 'dejong'."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD).lower())
    return "".join(c for c in folded if c.isascii() and c.isalnum())


def _ascii_email(name: str) -> str:
    """'Katharina von Stein' -> 'katharina.vonstein': first name, dot, the rest."""
    first, _, rest = name.partition(" ")
    return f"{_ascii(first)}.{_ascii(rest)}"


# Letters NFKD does not take apart into an ASCII base letter and an accent.
_FOLD = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ł": "l", "Ł": "L",
                       "ı": "i", "đ": "d"})  # fmt: skip
