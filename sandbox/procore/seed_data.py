"""The demo company's contents as data: people, cost types, CSI cost codes, vendors, projects, contracts."""

from __future__ import annotations

# (first, last, local part of the e-mail, job title)
USERS = [
    ("Dana", "Whitfield", "dana", "Controller"),
    ("Sam", "Okafor", "sam", "Project Manager"),
    ("Priya", "Raman", "priya", "Accounts Payable Specialist"),
    ("Marcus", "Lee", "marcus", "Superintendent"),
    ("Jordan", "Blake", "jordan", "Project Executive"),
]

# Procore's default cost types (line item types): name, code, base type
COST_TYPES = [("Labor", "L", "labor"), ("Material", "M", "materials"), ("Equipment", "E", "equipment"),
              ("Subcontract", "S", "commitment"), ("Other", "O", "other")]

# CSI MasterFormat divisions and the codes under them
COST_CODES = [
    ("01", "General Requirements", [("100", "General Requirements"), ("500", "Temporary Facilities and Controls"),
                                    ("740", "Cleaning and Waste Management")]),
    ("03", "Concrete", [("100", "Concrete Forming"), ("200", "Concrete Reinforcing"),
                        ("300", "Cast-in-place Concrete")]),
    ("04", "Masonry", [("200", "Unit Masonry")]),
    ("05", "Metals", [("100", "Structural Steel Framing"), ("500", "Metal Fabrications")]),
    ("06", "Wood, Plastics, and Composites", [("100", "Rough Carpentry"), ("200", "Finish Carpentry")]),
    ("07", "Thermal and Moisture Protection", [("200", "Thermal Protection"), ("500", "Membrane Roofing")]),
    ("08", "Openings", [("100", "Doors and Frames"), ("500", "Windows")]),
    ("09", "Finishes", [("200", "Gypsum Board"), ("600", "Flooring"), ("900", "Painting and Coating")]),
    ("22", "Plumbing", [("100", "Plumbing Piping and Pumps")]),
    ("23", "Heating, Ventilating, and Air Conditioning", [("300", "HVAC Air Distribution")]),
    ("26", "Electrical", [("100", "Medium-Voltage Electrical Distribution"), ("500", "Lighting")]),
    ("31", "Earthwork", [("200", "Earth Moving")]),
    ("32", "Exterior Improvements", [("100", "Paving")]),
]

# name, trade code (full cost code), business phone, tax id (business_id), city, origin_id (already linked)
VENDORS = [
    ("ACME Concrete", "03-300", "(208) 555-0142", "82-1234567", "Boise", None),
    ("Acme Concrete, Inc.", "03-300", "(208) 555-0142", None, "Boise", None),
    ("ACME CONCRETE LLC", "03-300", "(208) 555-0199", "82-1234567", "Meridian", None),
    ("Rocky Mountain Electric", "26-100", "(208) 555-0110", "82-2345678", "Boise", "58"),
    ("Rocky Mtn. Electric Co.", "26-100", "(208) 555-0110", None, "Boise", None),
    ("Boise Valley Plumbing", "22-100", "(208) 555-0123", "82-3456789", "Boise", "61"),
    ("Granite Peak Steel", "05-100", "(208) 555-0131", "82-4567890", "Nampa", None),
    ("Tamarack Drywall", "09-200", "(208) 555-0164", "82-5678901", "Eagle", "64"),
    ("Sawtooth Roofing", "07-500", "(208) 555-0175", "82-6789012", "Caldwell", None),
    ("Owyhee Excavation", "31-200", "(208) 555-0186", "82-7890123", "Kuna", None),
    ("Payette Glass & Glazing", "08-500", "(208) 555-0197", "82-8901234", "Payette", None),
    ("Treasure Valley HVAC", "23-300", "(208) 555-0108", "82-9012345", "Meridian", None),
    ("Snake River Masonry", "04-200", "(208) 555-0119", "83-0123456", "Twin Falls", None),
    ("Clearwater Doors & Hardware", "08-100", "(208) 555-0120", "83-1234567", "Lewiston", None),
    ("Gem State Flooring", "09-600", "(208) 555-0133", "83-2345678", "Boise", None),
    ("Eagle Fire Protection", "22-100", "(208) 555-0144", "83-3456789", "Eagle", None),
    ("Idaho Rebar Supply", "03-200", "(208) 555-0155", "83-4567890", "Nampa", None),
    ("Ponderosa Lumber Co.", "06-100", "(208) 555-0166", "83-5678901", "Emmett", None),
    ("Canyon County Paving", "32-100", "(208) 555-0177", "83-6789012", "Caldwell", None),
    ("Red Rock Waterproofing", "07-200", "(208) 555-0188", "83-7890123", "Boise", None),
    ("Alpine Insulation", "07-200", "(208) 555-0199", "83-8901234", "McCall", None),
    ("Blue Sky Painting", "09-900", "(208) 555-0101", "83-9012345", "Boise", None),
    ("Northwest Elevator", "01-100", "(509) 555-0112", "84-0123456", "Spokane", None),
    ("Silver Creek Millwork", "06-200", "(208) 555-0125", "84-1234567", "Hailey", None),
    ("Magic Valley Ready Mix", "03-300", "(208) 555-0136", "84-2345678", "Twin Falls", None),
    ("Copper Basin Sheet Metal", "23-300", "(208) 555-0147", "84-3456789", "Boise", None),
    ("Salmon River Surveying", "01-100", "(208) 555-0158", "84-4567890", "Salmon", None),
    ("Teton Scaffolding", "01-500", "(208) 555-0169", "84-5678901", "Idaho Falls", None),
    ("Bitterroot Demolition", "31-200", "(208) 555-0170", "84-6789012", "Boise", None),
    ("Spokane Crane & Rigging", "01-500", "(509) 555-0181", "84-7890123", "Spokane", None),
    ("Cascade Equipment Rental", "01-500", "(208) 555-0192", "84-8901234", "Cascade", None),
    ("Big Wood Carpentry", "06-100", "(208) 555-0103", "84-9012345", "Ketchum", None),
    ("Lost River Caulking", "07-200", "(208) 555-0114", "85-0123456", "Arco", None),
    ("Weiser Welding", "05-500", "(208) 555-0126", "85-1234567", "Weiser", None),
    ("Meridian Mechanical", "23-300", "(208) 555-0137", "85-2345678", "Meridian", None),
    ("Kuna Concrete Pumping", "03-300", "(208) 555-0148", "85-3456789", "Kuna", None),
    ("Star Electric Supply", "26-500", "(208) 555-0159", "85-4567890", "Star", None),
    ("Nampa Steel Erectors", "05-100", "(208) 555-0160", "85-5678901", "Nampa", None),
    ("Lochsa Low Voltage", "26-500", "(208) 555-0171", "85-6789012", "Boise", None),
    ("Henry's Fork Fencing", "32-100", "(208) 555-0182", "85-7890123", "Rexburg", None),
]

# name, number, address, city, zip, start, completion, value, stage id
PROJECTS = [
    ("Riverside Medical Office Building", "2024-001", "1450 W Riverside Dr", "Boise", "83702", "2024-02-01",
     "2025-06-30", 8_450_000.0, 3),
    ("Summit Ridge Apartments", "2024-014", "9800 N Ridgeline Way", "Meridian", "83646", "2024-04-15", "2025-11-15",
     12_300_000.0, 3),
    ("Cedar Street Parking Garage", "2023-087", "220 S Cedar St", "Nampa", "83651", "2023-09-05", "2024-12-20",
     5_900_000.0, 3),
]

# per project: (cost code, cost type code, original budget amount)
BUDGETS = [
    ("01-100", "L", 310_000), ("01-500", "E", 95_000), ("03-200", "M", 180_000), ("03-300", "S", 1_250_000),
    ("03-300", "M", 220_000), ("05-100", "S", 640_000), ("06-100", "M", 140_000), ("09-200", "S", 410_000),
    ("22-100", "S", 520_000), ("26-100", "S", 780_000), ("26-500", "M", 95_000), ("31-200", "S", 260_000),
]

# (project index, table, vendor name, title, status, retainage %, [(cost code, type code, description, amount)])
COMMITMENTS = [
    (0, "work_order_contracts", "ACME Concrete", "Cast-in-place concrete", "Approved", "10.0",
     [("03-300", "S", "Foundations and footings", "420000.00"), ("03-300", "S", "Elevated slabs", "615000.00")]),
    (0, "work_order_contracts", "Rocky Mountain Electric", "Electrical", "Approved", "10.0",
     [("26-100", "S", "Service and distribution", "540000.00"), ("26-500", "S", "Lighting", "185000.00")]),
    (0, "work_order_contracts", "Boise Valley Plumbing", "Plumbing", "Approved", "10.0",
     [("22-100", "S", "Underground and rough-in plumbing", "455000.00")]),
    (0, "purchase_order_contracts", "Idaho Rebar Supply", "Rebar supply", "Approved", "0.0",
     [("03-200", "M", "#4 and #5 rebar, fabricated", "96500.00")]),
    (1, "work_order_contracts", "ACME Concrete", "Podium concrete", "Approved", "10.0",
     [("03-300", "S", "Podium slab and walls", "880000.00")]),
    (1, "work_order_contracts", "Tamarack Drywall", "Drywall and framing", "Approved", "5.0",
     [("09-200", "S", "Interior framing", "190000.00"), ("09-200", "S", "Gypsum board and taping", "205000.00")]),
    (1, "purchase_order_contracts", "Ponderosa Lumber Co.", "Framing lumber package", "Approved", "0.0",
     [("06-100", "M", "Dimensional lumber and sheathing", "132400.00")]),
    (2, "work_order_contracts", "Rocky Mountain Electric", "Garage electrical and lighting", "Approved", "10.0",
     [("26-100", "S", "Power distribution", "310000.00"), ("26-500", "S", "Garage LED lighting", "96000.00")]),
    (2, "work_order_contracts", "Owyhee Excavation", "Mass excavation", "Draft", "10.0",
     [("31-200", "S", "Excavation and backfill", "240000.00")]),
]

# (commitment index, status, period start, period end, [(work this period, materials stored) per SOV line],
#  retainage released on the first line this period)
REQUISITIONS = [
    (0, "approved", "2024-03-01", "2024-03-31", [("84000.00", "0.00"), ("0.00", "0.00")], "0.00"),
    (0, "approved", "2024-04-01", "2024-04-30", [("126000.00", "0.00"), ("61500.00", "12000.00")], "0.00"),
    (0, "under_review", "2024-05-01", "2024-05-31", [("105000.00", "0.00"), ("92250.00", "0.00")], "0.00"),
    (1, "approved_as_noted", "2024-04-01", "2024-04-30", [("81000.00", "0.00"), ("0.00", "0.00")], "0.00"),
    (1, "pending_owner_approval", "2024-05-01", "2024-05-31", [("108000.00", "15000.00"), ("27750.00", "0.00")],
     "0.00"),
    (2, "draft", "2024-05-01", "2024-05-31", [("68250.00", "0.00")], "0.00"),
    (4, "approved", "2024-06-01", "2024-06-30", [("176000.00", "0.00")], "0.00"),
    (4, "revise_and_resubmit", "2024-07-01", "2024-07-31", [("220000.00", "0.00")], "0.00"),
    (5, "approved", "2024-08-01", "2024-08-31", [("57000.00", "0.00"), ("20500.00", "0.00")], "0.00"),
    (7, "approved", "2024-01-01", "2024-01-31", [("93000.00", "0.00"), ("0.00", "0.00")], "0.00"),
    (7, "approved", "2024-02-01", "2024-02-29", [("217000.00", "0.00"), ("96000.00", "0.00")], "9300.00"),
    (7, "draft", "2024-03-01", "2024-03-31", [("0.00", "0.00"), ("0.00", "0.00")], "0.00"),
]

# (requisition index, date, amount, check number)
PAYMENTS = [(0, "2024-04-20", "75600.00", "10231"), (3, "2024-05-22", "72900.00", "10388"),
            (9, "2024-02-25", "83700.00", "10012")]

# prime contracts per project index: (owner, title, retainage %, [(cost code, description, amount)])
PRIME_CONTRACTS = [
    (0, "Riverside Health Partners", "Riverside MOB - Prime Contract", "5.0",
     [("01-100", "General conditions", "620000.00"), ("03-300", "Concrete", "1480000.00"),
      ("26-100", "Electrical", "910000.00")]),
    (1, "Summit Ridge Holdings LLC", "Summit Ridge Apartments - Prime Contract", "10.0",
     [("03-300", "Podium concrete", "1050000.00"), ("09-200", "Drywall", "470000.00")]),
]

# (prime contract index, status, start, end, work this period per line)
PAYMENT_APPLICATIONS = [
    (0, "approved", "2024-03-01", "2024-03-31", ["52000.00", "110000.00", "0.00"]),
    (0, "under_review", "2024-04-01", "2024-04-30", ["48000.00", "236000.00", "95000.00"]),
    (1, "draft", "2024-06-01", "2024-06-30", ["198000.00", "0.00"]),
]

# (project index, type, vendor name, date, invoice number, status, [(cost code, type code, description, amount)])
DIRECT_COSTS = [
    (0, "invoice", "Cascade Equipment Rental", "2024-03-12", "CER-88213", "approved",
     [("01-500", "E", "Telehandler rental, March", "6850.00"), ("01-500", "E", "Delivery and pickup", "450.00")]),
    (0, "expense", "Teton Scaffolding", "2024-04-03", None, "pending",
     [("01-500", "E", "Scaffold erection", "3200.00")]),
    (1, "invoice", "Magic Valley Ready Mix", "2024-06-18", "MVRM-2291", "draft",
     [("03-300", "M", "Ready-mix concrete, 4000 psi", "18425.50")]),
]
