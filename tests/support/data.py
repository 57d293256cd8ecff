"""Test data shared across the suite: the one password, a script template's schema and body, the
simulator's status ids, and secrets that must never leave the process."""

PASSWORD = "correct-horse-battery"


PARAMETER_SCHEMA = {
    "parameters": [
        {"key": "share", "label": "Share path", "field_type": "text", "required": True},
        {"key": "letter", "label": "Drive letter", "field_type": "select", "required": True, "options": ["S", "X"]},
        {"key": "password", "label": "Password", "field_type": "password", "required": True},
        {"key": "retries", "label": "Retries", "field_type": "number", "required": False},
    ]
}


TEMPLATE_BODY = "net use {{ letter }}: {{ share }} /user:svc {{ password }} # retries={{ retries }}"


RESOLVED_STATUS_ID = 5  # "Resolved" on the simulator's Help Desk board


ESCALATED_STATUS_ID = 4  # "Escalated - Tier 2"


FACT_PASSWORD = "Hunter2-Winter!"


FACT_API_KEY = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx0123456789"


SCRIPT_PASSWORD = "Sup3r-Secret-Param"
