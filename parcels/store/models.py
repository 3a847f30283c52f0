"""SQLAlchemy 2 / GeoAlchemy2 tables for PostGIS, derived from the contract in landuse.core.contract.

Each layer gets a surrogate ``id`` primary key, a unique constraint on its natural key (NULLS NOT
DISTINCT, PostgreSQL 15+, so a lease keyed on a building and no parcel is still unique), check
constraints (non-negative values, code lists, dates in order, USCC length), foreign keys between
the input layers (deferrable, checked at commit), a year index on yearly layers and a GiST
spatial index on every geometry (EPSG:4490, MultiPolygon).
"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from landuse.core.contract import ALL_LAYERS, BOOL, DATE, FLOAT, INT, STR, Layer

_TYPES = {STR: Text, FLOAT: Float, INT: Integer, BOOL: Boolean, DATE: Date}

# (layer, column, referenced layer, referenced column)
FOREIGN_KEYS = (
    ("parcels", "zone_code", "zones", "zone_code"),
    ("enterprise_years", "uscc", "enterprises", "uscc"),
    ("buildings", "parcel_code", "parcels", "parcel_code"),
    ("leases", "uscc", "enterprises", "uscc"),
    ("leases", "building_code", "buildings", "building_code"),
    ("leases", "parcel_code", "parcels", "parcel_code"),
    ("land_rights", "parcel_code", "parcels", "parcel_code"),
    ("pilot_area_zones", "zone_code", "zones", "zone_code"),
    ("enterprise_periods", "uscc", "enterprises", "uscc"),
    ("land_survey", "zone_code", "zones", "zone_code"),
    ("zone_years", "zone_code", "zones", "zone_code"),
)


def _table(md: MetaData, layer: Layer) -> Table:
    cols = [Column("id", BigInteger, primary_key=True, autoincrement=True)]
    checks = []
    for c in layer.columns:
        nullable = not (c.required and c.name in layer.key) and not (c.required and not layer.output)
        cols.append(Column(c.name, _TYPES[c.kind], nullable=nullable, comment=c.zh))
        if c.nonneg:
            checks.append(CheckConstraint(f'"{c.name}" IS NULL OR "{c.name}" >= 0', name=f"ck_{layer.name}_{c.name}_nonneg"))
        if c.choices:
            lst = ", ".join(f"'{v}'" for v in c.choices)
            checks.append(CheckConstraint(f'"{c.name}" IS NULL OR "{c.name}" IN ({lst})', name=f"ck_{layer.name}_{c.name}_choice"))
        if c.name in ("uscc", "holder_uscc"):
            checks.append(CheckConstraint(f'"{c.name}" IS NULL OR length("{c.name}") = 18', name=f"ck_{layer.name}_{c.name}_len"))
    names = layer.names
    for a, b in (("start_date", "end_date"), ("supply_date", "completion_date")):
        if a in names and b in names and not layer.output:
            checks.append(CheckConstraint(f'"{a}" IS NULL OR "{b}" IS NULL OR "{a}" <= "{b}"', name=f"ck_{layer.name}_{a}_{b}"))
    if layer.geometry:
        cols.append(Column("geometry", Geometry("MULTIPOLYGON", srid=4490, spatial_index=True),
                           nullable=not layer.geometry_required or layer.output))
    extra: list[UniqueConstraint | ForeignKeyConstraint] = [
        UniqueConstraint(*layer.key, name=f"uq_{layer.name}_key", postgresql_nulls_not_distinct=True)]
    for lname, col, ref, refcol in FOREIGN_KEYS:
        if lname == layer.name:
            extra.append(ForeignKeyConstraint([col], [f"{ref}.{refcol}"], name=f"fk_{lname}_{col}",
                                              deferrable=True, initially="DEFERRED"))
    t = Table(layer.name, md, *cols, *checks, *extra, comment=layer.zh)
    if layer.year_column:
        Index(f"ix_{layer.name}_year", t.c[layer.year_column])
    if "zone_code" in names and layer.name != "zones":
        Index(f"ix_{layer.name}_zone", t.c["zone_code"])
    return t


def build_metadata() -> MetaData:
    md = MetaData()
    for layer in ALL_LAYERS:
        _table(md, layer)
    Table("users", md,
          Column("username", Text, primary_key=True),
          Column("role", Text, nullable=False),
          Column("zones", Text),
          Column("password_hash", Text, nullable=False),
          Column("active", Integer, nullable=False, server_default=text("1")),
          Column("created_at", Text, nullable=False),
          CheckConstraint("role IN ('admin','evaluator','manager','viewer')", name="ck_users_role"))
    Table("sessions", md,
          Column("token_hash", Text, primary_key=True),
          Column("username", Text, nullable=False),
          Column("csrf", Text, nullable=False),
          Column("created_at", Text, nullable=False),
          Column("expires_at", Text, nullable=False))
    Table("audit_log", md,
          Column("id", BigInteger, primary_key=True, autoincrement=True),
          Column("ts", Text, nullable=False),
          Column("username", Text),
          Column("action", Text, nullable=False),
          Column("detail", Text),
          Column("ip", Text))
    Table("policies", md,
          Column("policy_hash", Text, primary_key=True),
          Column("version", Text, nullable=False),
          Column("body", Text, nullable=False),
          Column("stored_at", Text, nullable=False),
          comment="政策文件（评价结果所用）/ the policies results were computed with")
    Table("inputs_state", md,
          Column("layer", Text, primary_key=True),
          Column("layer_hash", Text, nullable=False),
          Column("changed_at", Text, nullable=False),
          comment="输入图层状态（判断评价结果是否过期）/ the input layers' state (stale results)")
    Table("login_throttle", md,
          Column("key", Text, primary_key=True),
          Column("failures", Integer, nullable=False),
          Column("window_start", Text, nullable=False),
          Column("locked_until", Text),
          Column("lockouts", Integer, nullable=False, server_default=text("0")),
          Column("updated_at", Text, nullable=False),
          comment="登录失败限流 / failed-login budgets per address and account")
    _version_tables(md)
    _ledger_tables(md)
    return md


def _version_tables(md: MetaData) -> None:
    """Result versions, objections and the corrections they bring (landuse.services.versions, .objections)."""
    Table("result_versions", md,
          Column("version_id", Text, primary_key=True),
          Column("year", Integer, nullable=False),
          Column("seq", Integer, nullable=False),
          Column("inputs_hash", Text), Column("policy_hash", Text),
          Column("created_by", Text), Column("created_at", Text, nullable=False),
          Column("status", Text, nullable=False),
          Column("note", Text), Column("origin", Text), Column("corrections", Text),
          Column("published_by", Text), Column("published_at", Text), Column("publish_note", Text),
          Column("window_closes", Text), Column("superseded_at", Text), Column("superseded_reason", Text),
          CheckConstraint("status IN ('draft','published','superseded')", name="ck_result_versions_status"),
          comment="评价结果版本 / result versions")
    Table("result_version_layers", md,
          Column("version_id", Text, primary_key=True),
          Column("layer", Text, primary_key=True),
          Column("n_rows", Integer, nullable=False),
          Column("body", Text, nullable=False),
          comment="评价结果版本的数据（不可修改）/ the rows of each result version (immutable)")
    Table("objections", md,
          Column("objection_id", Text, primary_key=True),
          Column("year", Integer, nullable=False), Column("version_id", Text, nullable=False),
          Column("zone_code", Text, nullable=False), Column("kind", Text, nullable=False),
          Column("uscc", Text), Column("parcel_code", Text), Column("rule", Text),
          Column("current_value", Text), Column("requested_value", Text),
          Column("reason", Text, nullable=False), Column("evidence", Text),
          Column("filed_by", Text, nullable=False), Column("filed_at", Text, nullable=False),
          Column("status", Text, nullable=False),
          Column("decided_by", Text), Column("decided_at", Text), Column("decision_reason", Text),
          CheckConstraint("kind IN ('grade','flag')", name="ck_objections_kind"),
          CheckConstraint("status IN ('open','accepted','rejected')", name="ck_objections_status"),
          comment="公示异议 / objections to published results")
    Table("result_overrides", md,
          Column("override_id", Text, primary_key=True),
          Column("year", Integer, nullable=False), Column("kind", Text, nullable=False),
          Column("zone_code", Text), Column("uscc", Text), Column("parcel_code", Text), Column("rule", Text),
          Column("value", Text), Column("reason", Text, nullable=False), Column("objection_id", Text),
          Column("created_by", Text), Column("created_at", Text, nullable=False),
          comment="异议采纳后的更正（下一版本评价时应用）/ corrections from accepted objections")


def _ledger_tables(md: MetaData) -> None:
    """The disposal ledger (landuse/services/ledger.py): dates as ISO text, ``rule`` '' when none."""
    from landuse.core.contract import DISPOSAL_METHODS, DISPOSAL_STATUSES

    statuses = ", ".join(f"'{v}'" for v in DISPOSAL_STATUSES)
    methods = ", ".join(f"'{v}'" for v in DISPOSAL_METHODS)
    Table("disposals", md,
          Column("id", BigInteger, primary_key=True, autoincrement=True),
          Column("parcel_code", Text, nullable=False),
          Column("rule", Text, nullable=False, server_default=text("''")),
          Column("zone_code", Text),
          Column("method", Text, nullable=False),
          Column("responsible", Text),
          Column("opened", Text, nullable=False),
          Column("deadline", Text),
          Column("status", Text, nullable=False),
          Column("closed", Text),
          Column("planned_mu", Float),
          Column("disposed_mu", Float),
          Column("fee_collected_wan", Float),
          Column("note", Text),
          Column("reason", Text),
          Column("revision", Integer, nullable=False, server_default=text("1")),
          Column("updated_at", Text),
          Column("updated_by", Text),
          UniqueConstraint("parcel_code", "rule", name="uq_disposals_key"),
          CheckConstraint(f"status IN ({statuses})", name="ck_disposals_status"),
          CheckConstraint(f"method IN ({methods})", name="ck_disposals_method"),
          CheckConstraint("(planned_mu IS NULL OR planned_mu >= 0) AND (disposed_mu IS NULL OR disposed_mu >= 0) "
                          "AND (fee_collected_wan IS NULL OR fee_collected_wan >= 0)", name="ck_disposals_nonneg"),
          comment="处置台账 / the disposal ledger")
    Table("disposal_notes", md,
          Column("id", BigInteger, primary_key=True, autoincrement=True),
          Column("parcel_code", Text, nullable=False),
          Column("rule", Text, nullable=False, server_default=text("''")),
          Column("noted", Text, nullable=False),
          Column("author", Text),
          Column("text", Text, nullable=False),
          Column("ts", Text, nullable=False),
          Index("ix_disposal_notes_entry", "parcel_code", "rule"),
          comment="处置进展 / the ledger's dated progress notes")


metadata = build_metadata()


def add_missing(bind) -> list[str]:
    """Create the tables of the current metadata that the database lacks and add the columns its
    tables lack (nullable, as every column added after the first release is optional). Idempotent;
    returns what it added."""
    from sqlalchemy import inspect
    from sqlalchemy.schema import CreateColumn

    insp = inspect(bind)
    md = build_metadata()
    have = set(insp.get_table_names())
    added: list[str] = []
    missing = [t for name, t in md.tables.items() if name not in have]
    if missing:
        md.create_all(bind=bind, tables=missing, checkfirst=True)
        added += [t.name for t in missing]
    for name, table in md.tables.items():
        if name not in have:
            continue
        cols = {c["name"] for c in insp.get_columns(name)}
        for col in table.columns:
            if col.name not in cols:
                ddl = CreateColumn(col).compile(dialect=bind.dialect)
                bind.exec_driver_sql(f'ALTER TABLE "{name}" ADD COLUMN {str(ddl).replace(" NOT NULL", "")}')
                added.append(f"{name}.{col.name}")
    install_input_guards(bind)
    return added


def install_input_guards(bind) -> None:
    """Writes to an input layer that bypass ``landuse import`` (SQL, QGIS) forget that layer's
    recorded state in ``inputs_state``, so stale results are still recognised. Installed on every
    input layer of the current contract; idempotent, so each migration that adds layers re-runs it
    (through :func:`add_missing`)."""
    from landuse.core.contract import INPUT_LAYERS

    bind.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION inputs_state_forget() RETURNS trigger AS $$ "
        "BEGIN DELETE FROM inputs_state WHERE layer = TG_TABLE_NAME; RETURN NULL; END; $$ LANGUAGE plpgsql")
    for layer in INPUT_LAYERS:
        bind.exec_driver_sql(f'DROP TRIGGER IF EXISTS inputs_dirty ON "{layer.name}"')
        bind.exec_driver_sql(
            f'CREATE TRIGGER inputs_dirty AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{layer.name}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION inputs_state_forget()")
