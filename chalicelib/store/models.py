"""PynamoDB models: the single source of truth for every table.

Each model here is *unbound*: its ``Meta.table_name`` is the logical name. ``schema.bind``
derives subclasses with the deployment's physical names, region and endpoint, and
``schema.table_definitions`` turns the same classes into CreateTable / CloudFormation
definitions, so the code and the infrastructure cannot drift apart.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


class _Meta:
    table_name = "unbound"
    billing_mode = "PAY_PER_REQUEST"


class BotOwnerIndex(GlobalSecondaryIndex["BotModel"]):
    """Bots by owning operator."""

    class Meta:
        index_name = "by-owner"
        projection = AllProjection()

    owner_id = NumberAttribute(hash_key=True)
    bot_id = NumberAttribute(range_key=True)


class BotModel(Model):
    """A bot an operator registered: its token is encrypted at rest."""

    class Meta(_Meta):
        table_name = "bots"

    bot_id = NumberAttribute(hash_key=True)
    owner_id = NumberAttribute()
    username = UnicodeAttribute()
    first_name = UnicodeAttribute(default="")
    token_ciphertext = UnicodeAttribute()
    webhook_secret_ciphertext = UnicodeAttribute()
    status = UnicodeAttribute(default="active")
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    health = JSONAttribute(null=True)
    version = VersionAttribute()
    by_owner = BotOwnerIndex()


class GroupModel(Model):
    """A group a bot protects: settings and required channels live on the item."""

    class Meta(_Meta):
        table_name = "groups"

    bot_id = NumberAttribute(hash_key=True)
    chat_id = NumberAttribute(range_key=True)
    title = UnicodeAttribute(default="")
    username = UnicodeAttribute(null=True)
    enabled = BooleanAttribute(default=True)
    required_channels = JSONAttribute(default=list)
    settings = JSONAttribute(default=dict)
    protected_by = NumberAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    version = VersionAttribute()


class LinkGroupIndex(GlobalSecondaryIndex["LinkModel"]):
    """Links by group: which channels a group requires."""

    class Meta:
        index_name = "by-group"
        projection = KeysOnlyProjection()

    group_key = UnicodeAttribute(hash_key=True)
    channel_id = NumberAttribute(range_key=True)


class LinkModel(Model):
    """One channel required by one group; queryable from either side."""

    class Meta(_Meta):
        table_name = "links"

    channel_key = UnicodeAttribute(hash_key=True)  # "{bot_id}:{channel_id}"
    group_id = NumberAttribute(range_key=True)
    group_key = UnicodeAttribute()  # "{bot_id}:{group_id}"
    channel_id = NumberAttribute()
    by_group = LinkGroupIndex()


class MemberUserIndex(GlobalSecondaryIndex["MemberModel"]):
    """Ledger entries of one user across the groups of one bot."""

    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_key = UnicodeAttribute(hash_key=True)  # "{bot_id}:{user_id}"
    group_key = UnicodeAttribute(range_key=True)


class MemberModel(Model):
    """The member ledger: what we did to one user in one group, and our cached verdict."""

    class Meta(_Meta):
        table_name = "members"

    group_key = UnicodeAttribute(hash_key=True)  # "{bot_id}:{chat_id}"
    user_id = NumberAttribute(range_key=True)
    user_key = UnicodeAttribute()
    muted = BooleanAttribute(default=False)
    muted_at = NumberAttribute(null=True)
    restore_permissions = JSONAttribute(null=True)
    verdict = UnicodeAttribute(null=True)  # member | not_member | unknown
    verdict_expires_at = NumberAttribute(default=0)
    missing_channels = ListAttribute(of=NumberAttribute, default=list)
    notice_message_id = NumberAttribute(null=True)
    notice_thread_id = NumberAttribute(null=True)
    notice_sent_at = NumberAttribute(null=True)
    last_check_at = NumberAttribute(default=0)
    first_name = UnicodeAttribute(default="")
    language_code = UnicodeAttribute(null=True)
    join_request_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(default=0)
    version = VersionAttribute()
    by_user = MemberUserIndex()


class EventGroupIndex(GlobalSecondaryIndex["EventModel"]):
    """Events of one group, newest last."""

    class Meta:
        index_name = "by-group"
        projection = AllProjection()

    group_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class EventUserIndex(GlobalSecondaryIndex["EventModel"]):
    """Events about one user, newest last."""

    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class EventModel(Model):
    """Every decision and admin action, written once. The table's stream drives the live side."""

    class Meta(_Meta):
        table_name = "events"
        stream_view_type = "NEW_IMAGE"

    bot_key = UnicodeAttribute(hash_key=True)  # "{bot_id}"
    sk = UnicodeAttribute(range_key=True)  # "{ts_ms:013d}#{event_id}"
    event_id = UnicodeAttribute()
    type = UnicodeAttribute()
    ts = NumberAttribute()
    owner_id = NumberAttribute(null=True)
    chat_id = NumberAttribute(null=True)
    user_id = NumberAttribute(null=True)
    group_key = UnicodeAttribute(null=True)
    user_key = UnicodeAttribute(null=True)
    actor_id = NumberAttribute(null=True)
    reason = UnicodeAttribute(default="")
    channels = ListAttribute(of=NumberAttribute, default=list)
    latency_ms = NumberAttribute(null=True)
    cache_hit = BooleanAttribute(null=True)
    telegram_calls = ListAttribute(of=UnicodeAttribute, default=list)
    detail = JSONAttribute(default=dict)
    expires_at = TTLAttribute(null=True)
    by_group = EventGroupIndex()
    by_user = EventUserIndex()


class StatModel(Model):
    """Hourly and daily aggregates, so analytics never scan raw events."""

    class Meta(_Meta):
        table_name = "stats"

    scope = UnicodeAttribute(hash_key=True)  # "bot#{id}" | "group#{bot}:{chat}"
    bucket = UnicodeAttribute(range_key=True)  # "h#2026-11-29T21#{metric}" | "d#2026-11-29#..."
    value = NumberAttribute(default=0)  # grown with ADD: no read before write
    expires_at = TTLAttribute(null=True)


class JobModel(Model):
    """Work due at a time (delete a notice, re-check, kick): claimed by the scheduler."""

    class Meta(_Meta):
        table_name = "jobs"

    shard = UnicodeAttribute(hash_key=True)  # "due#{n}"
    due_key = UnicodeAttribute(range_key=True)  # "{due_ts:013d}#{kind}#{job_id}"
    kind = UnicodeAttribute()
    payload = JSONAttribute(default=dict)
    attempts = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


class ConnectionOperatorIndex(GlobalSecondaryIndex["ConnectionModel"]):
    """Open websocket connections of one operator."""

    class Meta:
        index_name = "by-operator"
        projection = AllProjection()

    operator_id = NumberAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)


class ConnectionModel(Model):
    """An open dashboard websocket connection."""

    class Meta(_Meta):
        table_name = "connections"

    connection_id = UnicodeAttribute(hash_key=True)
    operator_id = NumberAttribute()
    subscriptions = ListAttribute(of=UnicodeAttribute, default=list)
    connected_at = NumberAttribute()
    expires_at = TTLAttribute()
    by_operator = ConnectionOperatorIndex()


class HeartbeatModel(Model):
    """One health sample per bot per minute; uptime is computed from these."""

    class Meta(_Meta):
        table_name = "heartbeats"

    bot_id = NumberAttribute(hash_key=True)
    minute = NumberAttribute(range_key=True)  # epoch seconds, floored to the minute
    healthy = BooleanAttribute()
    detail = JSONAttribute(default=dict)
    expires_at = TTLAttribute()


class IdempotencyModel(Model):
    """powertools Idempotency's schema (its DynamoDBPersistenceLayer writes these items)."""

    class Meta(_Meta):
        table_name = "idempotency"

    id = UnicodeAttribute(hash_key=True)
    expiration = TTLAttribute(null=True)
    status = UnicodeAttribute(null=True)
    data = UnicodeAttribute(null=True)
    validation = UnicodeAttribute(null=True)
    in_progress_expiration = NumberAttribute(null=True)


class AuthModel(Model):
    """Login tickets, websocket tickets, sessions and rate-limit counters, all expiring."""

    class Meta(_Meta):
        table_name = "auth"

    key = UnicodeAttribute(hash_key=True)  # "{kind}#{id}"
    kind = UnicodeAttribute()
    operator_id = NumberAttribute(null=True)
    data = JSONAttribute(default=dict)
    attempts = NumberAttribute(default=0)  # rate-limit counters grow with ADD
    created_at = NumberAttribute()
    expires_at = TTLAttribute()


class ParkedModel(Model):
    """Dead letters of the stream handlers, and the failure counts that lead there.

    ``source`` is ``"{stream}"`` for parked records (``item_id`` = ``{ms:013d}#{key}``,
    newest last) or ``"tries#{stream}"`` for attempt counters (``item_id`` = the key).
    """

    class Meta(_Meta):
        table_name = "parked"

    source = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)
    attempts = NumberAttribute(default=0)  # grown with ADD on the counters
    reason = UnicodeAttribute(default="")
    error = UnicodeAttribute(default="")
    parked_at = NumberAttribute(default=0)
    payload = JSONAttribute(default=dict)
    expires_at = TTLAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (
    BotModel,
    GroupModel,
    LinkModel,
    MemberModel,
    EventModel,
    StatModel,
    JobModel,
    ConnectionModel,
    HeartbeatModel,
    IdempotencyModel,
    AuthModel,
    ParkedModel,
)
