"""The QuickBooks Online v3 data API: /v3/company/{realmId}/... (read, write, query, batch, cdc, upload)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, request

from . import faults, service
from . import query as q
from .attachments import upload_work
from .clock import parse_ts
from .entities import Ctx
from .pipeline import json_body, run
from .service import Events
from .state import envelope, sandbox

bp = Blueprint("qbo_api", __name__, url_prefix="/v3/company/<realm_id>")
BATCH_LIMIT, CDC_LIMIT, CDC_DAYS = 30, 1000, 30
COMMON_FIELDS = {"id", "synctoken", "metadata", "domain", "sparse"}
KNOWN_FIELDS = {  # properties a query may name even when no record has them yet
    "TaxCode": "Name Description Active Taxable TaxGroup SalesTaxRateList PurchaseTaxRateList",
    "TaxRate": "Name Description Active RateValue AgencyRef SpecialTaxType DisplayType",
    "TaxAgency": "DisplayName TaxTrackedOnSales TaxTrackedOnPurchases",
    "Vendor": "DisplayName GivenName FamilyName MiddleName Title Suffix CompanyName PrintOnCheckName Active Balance "
              "Vendor1099 PrimaryEmailAddr PrimaryPhone Mobile Fax WebAddr BillAddr AcctNum TaxIdentifier CurrencyRef "
              "TermRef APAccountRef BillRate CostRate",
    "Customer": "DisplayName GivenName FamilyName MiddleName Title Suffix CompanyName FullyQualifiedName "
                "PrintOnCheckName Active Balance BalanceWithJobs Job IsProject ParentRef Level Taxable "
                "BillWithParent PrimaryEmailAddr PrimaryPhone BillAddr ShipAddr Notes SalesTermRef CurrencyRef "
                "PreferredDeliveryMethod ResaleNum ARAccountRef",
    "Employee": "DisplayName GivenName FamilyName MiddleName Title Suffix Active PrimaryEmailAddr PrimaryPhone "
                "EmployeeNumber HiredDate ReleasedDate BillableTime",
    "Item": "Name Description Active FullyQualifiedName Type Taxable UnitPrice PurchaseCost PurchaseDesc Sku "
            "IncomeAccountRef ExpenseAccountRef AssetAccountRef ParentRef SubItem Level TrackQtyOnHand QtyOnHand",
    "Account": "Name Active FullyQualifiedName AccountType AccountSubType Classification CurrentBalance "
               "CurrentBalanceWithSubAccounts AcctNum Description ParentRef SubAccount CurrencyRef",
    "Class": "Name Active FullyQualifiedName ParentRef SubClass",
    "Term": "Name Active Type DueDays DiscountDays DiscountPercent",
    "Attachable": "AttachableRef FileName Note ContentType Size Category FileAccessUri TempDownloadUri",
    "Budget": "Name StartDate EndDate BudgetType BudgetEntryType Active BudgetDetail",
}
TXN_FIELDS = ("DocNumber TxnDate DueDate TotalAmt Balance CurrencyRef PrivateNote Line LinkedTxn VendorRef "
              "CustomerRef APAccountRef SalesTermRef DepartmentRef ClassRef PayType PaymentType AccountRef EntityRef "
              "CheckPayment CreditCardPayment UnappliedAmt DepositToAccountRef EmailStatus PrintStatus POStatus Memo "
              "ShipTo ShipAddr VendorAddr BillAddr TxnStatus ExpirationDate AcceptedBy AcceptedDate")


def _entity(segment: str) -> str:
    name = service.entity_name(segment)
    if name is None:
        raise faults.unsupported(f"Operation {segment} is not supported.")
    return name


@bp.get("/<segment>/<oid>")
def read(realm_id: str, segment: str, oid: str):
    entity = service.entity_name(segment) or segment

    def work(ctx: Ctx, events: Events):
        return envelope({_entity(segment): service.read(ctx, entity, oid)})

    return run(realm_id, entity, "read", work)


@bp.get("/preferences")
def preferences(realm_id: str):
    return run(realm_id, "Preferences", "read",
               lambda ctx, events: envelope({"Preferences": service.read(ctx, "Preferences", "1")}))


@bp.post("/<segment>")
def write(realm_id: str, segment: str):
    entity = service.entity_name(segment) or segment
    operation = request.args.get("operation", "").lower()

    def work(ctx: Ctx, events: Events):
        name = _entity(segment)
        body = json_body()
        op = operation or ("update" if isinstance(body, dict) and body.get("Id") else "create")
        return envelope({name: service.write(ctx, name, body, op, events)})

    return run(realm_id, entity, operation or _create_or_update(), work, write=True)


def _create_or_update() -> str:
    """For the request counts: a POST without ?operation= is an update when its body carries an Id."""
    try:
        body = json_body()
    except faults.QboFault:
        return "create"
    return "update" if isinstance(body, dict) and str(body.get("Id", "")).strip() else "create"


# -- query ------------------------------------------------------------------------------------------------------
def _check_fields(ctx: Ctx, query: q.Query, entity: str, records: list[dict]) -> None:
    known = set(COMMON_FIELDS)
    known.update(f.lower() for f in KNOWN_FIELDS.get(entity, TXN_FIELDS).split())
    paths = [c.path for c in query.where] + [p for p, _ in query.order]
    paths += [f.split(".") for f in query.fields or []]
    unknown = {path[0] for path in paths if path[0].lower() not in known}
    for name in unknown:
        if not any(k.lower() == name.lower() for record in records for k in record):
            raise faults.query_invalid(f"Property {name} not found for Entity {entity}")


def execute_query(ctx: Ctx, text: str) -> dict:
    """Run query text; returns the QueryResponse body (shared by /query and batch items)."""
    parsed = q.parse(text)
    entity = service.entity_name(parsed.entity)
    if entity is None:
        raise faults.query_invalid(f"Entity {parsed.entity} is not supported")
    records = ctx.store.all(ctx.realm, entity)
    _check_fields(ctx, parsed, entity, records)
    has_active = service.SPECS.get(entity) is not None and service.SPECS[entity].kind == "list"
    result = q.run(parsed, records, has_active)
    if parsed.count:
        return {"totalCount": result}
    if not result:
        return {}
    rows = [q.project(r, parsed.fields) for r in result]  # serialised under the store lock: no copies needed
    return {entity: rows, "startPosition": parsed.start, "maxResults": len(rows)}


@bp.route("/query", methods=["GET", "POST"])
def query(realm_id: str):
    text = request.args.get("query")
    if text is None and request.method == "POST":
        text = request.form.get("query") if request.mimetype == "application/x-www-form-urlencoded" else None
        text = text if text is not None else request.get_data(as_text=True)
    entity = "Unknown"
    try:
        tokens = q.tokenize(text or "")
        after = [t for i, t in enumerate(tokens[1:]) if tokens[i].kind == "KEYWORD" and tokens[i].value == "FROM"]
        entity = (service.entity_name(after[0].image) if after else None) or entity
    except faults.QboFault:
        pass
    return run(realm_id, entity, "query",
               lambda ctx, events: envelope({"QueryResponse": execute_query(ctx, text or "")}))


# -- batch ------------------------------------------------------------------------------------------------------
def _batch_item(ctx: Ctx, item: dict, events: Events) -> dict:
    bid = item.get("bId")
    try:
        if "Query" in item:
            return {"bId": bid, "QueryResponse": execute_query(ctx, str(item["Query"]))}
        names = [k for k in item if k not in ("bId", "operation", "optionsData")]
        if len(names) != 1:
            raise faults.invalid_property("A batch item must carry exactly one entity or a Query")
        entity = _entity(names[0])
        options = item.get("optionsData") or []
        options = [options] if isinstance(options, str) else options
        item_ctx = Ctx(ctx.store, ctx.realm, ctx.now, ctx.options | {str(o).lower() for o in options})
        operation = str(item.get("operation", "create")).lower()
        return {"bId": bid, entity: service.write(item_ctx, entity, item[names[0]], operation, events)}
    except faults.QboFault as fault:
        return {"bId": bid, "Fault": fault.fault()}


@bp.post("/batch")
def batch(realm_id: str):
    sb = sandbox()
    try:
        parsed = json_body()
        items = parsed.get("BatchItemRequest") if isinstance(parsed, dict) else None
    except faults.QboFault:
        items = None
    weight = len(items) if sb.limits.batch_item_metering and isinstance(items, list) and items else 1

    def work(ctx: Ctx, events: Events):
        body = json_body()
        entries = body.get("BatchItemRequest") if isinstance(body, dict) else None
        if not isinstance(entries, list) or not entries:
            raise faults.required("BatchItemRequest")
        if len(entries) > BATCH_LIMIT:
            raise faults.business(f"The maximum number of batch items is {BATCH_LIMIT}. "
                                  f"You supplied {len(entries)}.")
        return envelope({"BatchItemResponse": [_batch_item(ctx, dict(e), events) for e in entries]})

    return run(realm_id, "Batch", "batch", work, write=True, weight=min(weight, BATCH_LIMIT), batch=True)


# -- change data capture ----------------------------------------------------------------------------------------
def _cdc(ctx: Ctx, names: str, since_text: str) -> dict:
    if not names:
        raise faults.required("entities")
    if not since_text:
        raise faults.required("changedSince")
    since = parse_ts(since_text)
    if since is not None:  # MetaData times have whole seconds: never miss a change made within since's second
        since = since.replace(microsecond=0)
    if since is None:
        raise faults.invalid_property(f"Property Name:changedSince specified is unsupported or invalid: {since_text}")
    if since < ctx.now - timedelta(days=CDC_DAYS):
        raise faults.business(f"Operation cdc with changedSince date {since_text} which is older than fixed days is "
                              "not supported.")
    responses = []
    for raw in names.split(","):
        entity = service.entity_name(raw.strip())
        if entity is None or entity not in service.SPECS:
            raise faults.query_invalid(f"Entity {raw.strip()} is not supported for cdc")
        changed = [r for r in ctx.store.all(ctx.realm, entity)
                   if (parse_ts(r["MetaData"]["LastUpdatedTime"]) or since) >= since]
        changed.sort(key=lambda r: parse_ts(r["MetaData"]["LastUpdatedTime"]))
        rows = list(changed)
        for oid, when in sorted(ctx.realm.tombstones.get(entity, {}).items(), key=lambda kv: kv[1]):
            if parse_ts(when) >= since:
                rows.append({"domain": "QBO", "status": "Deleted", "Id": oid, "MetaData": {"LastUpdatedTime": when}})
        rows = rows[:CDC_LIMIT]
        responses.append({entity: rows, "startPosition": 1, "maxResults": len(rows)} if rows else {})
    return {"CDCResponse": [{"QueryResponse": responses}]}


@bp.get("/cdc")
def cdc(realm_id: str):
    names, since = request.args.get("entities", ""), request.args.get("changedSince", "")
    return run(realm_id, "CDC", "cdc", lambda ctx, events: envelope(_cdc(ctx, names, since)))


@bp.post("/upload")
def upload(realm_id: str):
    return run(realm_id, "Attachable", "upload", upload_work(realm_id), write=True)


@bp.get("/download/<oid>")
def download(realm_id: str, oid: str):
    def work(ctx: Ctx, events: Events):
        obj = service.read(ctx, "Attachable", oid)
        if not obj.get("TempDownloadUri"):
            raise faults.not_found()
        return Response(obj["TempDownloadUri"], content_type="text/plain")

    return run(realm_id, "Attachable", "download", work)
