"""Link a RemoteWorld's demo Procore company to its QBO realm the way parts 1 and 2 would: projects → QBO projects,
commitment companies → QBO vendors, budget lines (cost code × cost type) → QBO Service items. Set up directly
through the clients and the binder (these links are other engineers' syncs; here they are only the scenery)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from sync import binder


@dataclass
class Links:
    projects: dict[int, str] = field(default_factory=dict)  # Procore project id → QBO Customer Id
    vendors: dict[int, str] = field(default_factory=dict)  # Procore vendor id → QBO Vendor Id
    vendor_names: dict[int, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)  # "{project}:{cost code}:{type}" → QBO Item Id
    project_ids: list[int] = field(default_factory=list)


def link_world(world, *, vendors: bool = True, projects: int = 3) -> Links:
    qbo, pc = world.ctx.qbo, world.ctx.procore
    links = Links()
    types = {t.id: t for t in pc.list_line_item_types()}
    parent = qbo.create(entity="Customer", body={"DisplayName": "Summit Builders Owners"})
    with Session(world.engine) as s:
        for project in list(pc.list_projects())[:projects]:
            customer = qbo.create(entity="Customer", body={
                "DisplayName": project.name, "ParentRef": {"value": parent["Id"]}, "Job": True, "IsProject": True})
            binder.bind(s, world.tenant.id, "project", project.id, customer["Id"])
            links.projects[project.id] = customer["Id"]
            links.project_ids.append(project.id)
            commitments = [pc.get_work_order_contract(project_id=project.id, contract_id=c.id)
                           for c in pc.list_work_order_contracts(project_id=project.id)]
            commitments += [pc.get_purchase_order_contract(project_id=project.id, contract_id=c.id)
                            for c in pc.list_purchase_order_contracts(project_id=project.id)]
            for c in commitments:
                links.vendor_names[c.vendor_id] = c.vendor_name
                if vendors and c.vendor_id not in links.vendors:
                    vendor = qbo.create(entity="Vendor", body={"DisplayName": c.vendor_name})
                    binder.bind(s, world.tenant.id, "company", c.vendor_id, vendor["Id"])
                    links.vendors[c.vendor_id] = vendor["Id"]
                for line in c.lines:
                    key = f"{project.id}:{line.cost_code_id}:{line.line_item_type_id}"
                    if key in links.items:
                        continue
                    kind = types[line.line_item_type_id]
                    item = qbo.create(entity="Item", body={
                        "Name": f"{project.project_number}-{line.cost_code}.{kind.code}", "Type": "Service",
                        "IncomeAccountRef": {"value": "93"}, "ExpenseAccountRef": {"value": "90"}})
                    binder.bind(s, world.tenant.id, "cost_item", key, item["Id"])
                    links.items[key] = item["Id"]
        s.commit()
    return links


def link_vendor(world, links: Links, procore_vendor_id: int) -> str:
    vendor = world.ctx.qbo.create(entity="Vendor", body={"DisplayName": links.vendor_names[procore_vendor_id]})
    with Session(world.engine) as s:
        binder.bind(s, world.tenant.id, "company", procore_vendor_id, vendor["Id"])
        s.commit()
    links.vendors[procore_vendor_id] = vendor["Id"]
    return vendor["Id"]
