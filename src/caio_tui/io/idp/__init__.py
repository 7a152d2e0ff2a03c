"""Identity provider exports (Okta, Microsoft Entra ID) read into the facts of `domain/identity.py`."""
