"""Imports every domain's models so `Base.metadata` is complete (migrations, `db check`)."""

from aria.accounts import models as accounts_models
from aria.analytics import models as analytics_models
from aria.audit import models as audit_models
from aria.catalog import models as catalog_models
from aria.db.base import Base
from aria.grc import models as grc_models
from aria.installs import models as installs_models
from aria.mapping import models as mapping_models
from aria.sync import models as sync_models
from aria.vault import models as vault_models
from aria.webhooks import models as webhooks_models

__all__ = [
    "Base",
    "accounts_models",
    "analytics_models",
    "audit_models",
    "catalog_models",
    "grc_models",
    "installs_models",
    "mapping_models",
    "sync_models",
    "vault_models",
    "webhooks_models",
]
