# ruff: noqa: RUF001, RUF003  (typography: "600 × 400 mm", as the catalogue names them)
"""What the projects' seeder writes about: kinds of prototyping work per site, the demo's
dozen projects, and the words people use on a project's timeline."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Work:
    """A kind of prototyping job: which site does it, on which machines (category slugs,
    with the range of hours a quote estimates on each), with which of the site's
    materials (by English name, quantity range for one piece)."""

    key: str
    site: str  # "esch" (small prototyping) or "differdange" (industrial)
    title: str
    goal: str
    description: str
    machines: tuple[tuple[str, float, float], ...]  # (category, hours low, hours high)
    materials: tuple[tuple[str, float, float], ...]  # (name_en, quantity low, high)
    staff_hours: tuple[float, float] = (1, 4)


WORKS: tuple[Work, ...] = (
    # --- Esch: small prototyping ----------------------------------------------------------
    Work(
        "display-stand", "esch", "Laser-cut acrylic display stand",
        "A stand that shows our products in the shop window.",
        "Three tiers of cast acrylic, slotted together without glue; our logo engraved on "
        "the front. Drawings in DXF attached.",
        (("laser-cutter", 1.5, 5),), (("Cast acrylic 3 mm, 600 × 400 mm", 2, 8),),
    ),
    Work(
        "sensor-enclosure", "esch", "3D-printed enclosure for a sensor board",
        "A housing that protects our air-quality sensor outdoors.",
        "Two-part enclosure with a snap fit and vents; a first series of prototypes in PETG "
        "to test in the field. STEP file attached.",
        (("3d-printer", 6, 24),), (("PETG filament", 2, 10),),
    ),
    Work(
        "signage", "esch", "Tactile and vinyl signage",
        "Signs people can read by touch in a community building.",
        "Engraved plywood plates with raised letters and Braille, and vinyl lettering for "
        "the doors.",
        (("laser-cutter", 2, 6), ("vinyl-cutter", 1, 3)),
        (("Birch plywood 4 mm, 600 × 400 mm", 3, 10), ("Adhesive vinyl (Oracal 651)", 2, 6)),
    ),
    Work(
        "wearable", "esch", "Wearable device casing",
        "A comfortable casing for a wrist-worn prototype.",
        "Resin-printed casing with a textile strap; several iterations on fit and button "
        "placement.",
        (("3d-printer", 4, 12), ("textile", 1, 3)),
        (("Formlabs Standard resin", 1, 4), ("Tear-away stabiliser", 0.5, 2)),
    ),
    Work(
        "mould", "esch", "Milled wax mould for silicone casting",
        "A mould to cast a small run of silicone seals for testing.",
        "Two-part mould milled in machinable wax from our CAD model; tolerances ± 0.1 mm.",
        (("cnc-mill", 3, 8),), (("Machinable wax block 150 × 90 × 38 mm", 1, 3),),
    ),
    Work(
        "test-jig", "esch", "Electronics test jig",
        "A jig to test our circuit boards before assembly.",
        "Pogo-pin test bed on a laser-cut frame, wired and checked on the electronics bench.",
        (("laser-cutter", 1, 3), ("electronics", 2, 6)),
        (("MDF 3 mm, 600 × 400 mm", 2, 5),),
    ),
    Work(
        "badges", "esch", "Embroidered badges for a festival",
        "Embroidered badges for the volunteers of our festival.",
        "Logo digitised for the embroidery machine; a sample series before the full run.",
        (("textile", 2, 6),), (("Embroidery thread (cone)", 2, 6), ("Tear-away stabiliser", 1, 3)),
    ),
    Work(
        "spare-part", "esch", "Scanned and reprinted spare part",
        "A replacement for a broken part that is no longer made.",
        "3D scan of the worn part, model cleaned up and printed in PETG; a fit test on the "
        "machine it belongs to.",
        (("3d-scanner", 1, 2), ("3d-printer", 3, 8)), (("PETG filament", 1, 4),),
    ),
    Work(
        "packaging", "esch", "Packaging prototype",
        "A gift box for a new product range, to show to our distributor.",
        "Laser-cut poplar box with a sliding lid and engraved branding; two sizes.",
        (("laser-cutter", 1.5, 4),), (("Poplar plywood 3 mm, 600 × 400 mm", 3, 10),),
    ),
    # --- Differdange: industrial -----------------------------------------------------------
    Work(
        "brackets", "differdange", "Waterjet-cut steel brackets",
        "Brackets for the frame of an exhibition stand.",
        "S235 steel, 3 mm, cut on the waterjet and deburred; a first set to check the "
        "assembly before ordering the series elsewhere.",
        (("waterjet", 2, 8),), (("Steel sheet S235, 3 mm, 1000 × 500 mm", 2, 6),),
        (2, 6),
    ),
    Work(
        "counter", "differdange", "Oak shop-counter prototype",
        "A full-size prototype of our new shop counter.",
        "Oak top on a CNC-routed birch plywood carcass; joinery by the workshop.",
        (("large-cnc", 3, 10), ("woodworking", 2, 8)),
        (("Birch plywood 18 mm, 2500 × 1250 mm", 2, 5), ("Oak board 27 mm", 3, 10)),
        (3, 10),
    ),
    Work(
        "front-panels", "differdange", "Aluminium front panels",
        "Front panels for a batch of test instruments.",
        "5 mm aluminium cut on the waterjet, holes finished on the milling drill.",
        (("waterjet", 2, 6), ("metalworking", 1, 4)),
        (("Aluminium sheet 5 mm, 1000 × 500 mm", 1, 3),),
        (2, 6),
    ),
    Work(
        "furniture", "differdange", "CNC-routed furniture series prototype",
        "A chair and a table to present at a design fair.",
        "Flat-pack design routed from plywood, assembled without screws.",
        (("large-cnc", 4, 12),), (("Birch plywood 18 mm, 2500 × 1250 mm", 2, 6),),
        (2, 8),
    ),
    Work(
        "shafts", "differdange", "Turned steel shafts",
        "Shafts for the drive of a prototype machine.",
        "Steel round bar turned to drawing, keyways milled; three pieces.",
        (("metalworking", 3, 10),), (("Steel round bar Ø 40 mm", 1, 3),),
        (2, 6),
    ),
    Work(
        "stage-set", "differdange", "Stage set elements",
        "Set elements for a theatre production.",
        "MDF panels routed and painted, with steel feet cut on the waterjet.",
        (("large-cnc", 3, 8), ("waterjet", 1, 3)),
        (("MDF 19 mm, 2800 × 2070 mm", 2, 6), ("Steel sheet S235, 3 mm, 1000 × 500 mm", 1, 2)),
        (3, 8),
    ),
    Work(
        "housing-print", "differdange", "Large printed housings",
        "Housings for a batch of field-test devices.",
        "Printed on the print farm overnight, post-processed by hand.",
        (("3d-printer", 8, 30),), (("PLA filament", 4, 20),),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class DemoProject:
    """One of the demo's projects: what, who asked, and how far it went."""

    work: str  # Work.key
    kind: str  # wanted requester kind; the organisation found decides at last
    outcome: str  # the status it ends in
    days_ago: int  # when it was requested
    title: str = ""  # instead of the work's
    quotes: str = ""  # "", "superseded" or "rejected": the story of its quote versions
    confidential: bool = False
    factor: float = 1.0  # actual use against the quote
    demo_login: bool = False  # asked by the demo organisation admin's organisation
    cancelled_from: str = ""
    comments: tuple[tuple[str, str], ...] = ()  # (who: requester/staff/internal, text)


DEMO_PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        "sensor-enclosure", "startup", "requested", 3,
        title="Smart plant-pot sensor housing",
        comments=(("requester", "We can come by on Thursday to show the electronics."),),
    ),
    DemoProject(
        "spare-part", "individual", "requested", 1, title="Cosplay armour parts",
        comments=(("requester", "I have the 3D files ready; could I watch the printing?"),),
    ),
    DemoProject(
        "signage", "nonprofit", "quoted", 12, title="Tactile signage for a community centre",
        comments=(
            ("requester", "The Braille text is in the attached list, room by room."),
            ("staff", "Here is our quote. We can start the week after you accept it."),
        ),
    ),
    DemoProject(
        "brackets", "large_group", "quoted", 30, quotes="rejected",
        title="Steel brackets for an exhibition stand",
        comments=(
            ("requester", "The first quote is above our budget: could we use fewer brackets?"),
            ("staff", "New version with the simplified bracket: one cut instead of two."),
            ("internal", "Check the abrasive stock before the waterjet run."),
        ),
    ),
    DemoProject(
        "display-stand", "sme", "accepted", 20, quotes="superseded", demo_login=True,
        title="Acrylic display stands for the shop window",
        comments=(
            ("requester", "Could you add our logo engraving to the front?"),
            ("staff", "Done: version 2 of the quote includes the engraving."),
            ("requester", "Accepted, thank you! We would like them before the holidays."),
        ),
    ),
    DemoProject(
        "front-panels", "large_group", "in_progress", 40, confidential=True,
        title="Assembly jig for a sensor housing (NDA)",
        comments=(
            ("requester", "Reminder: the drawings are under NDA, no photos please."),
            ("internal", "Keep the parts in the locked cabinet between sessions."),
        ),
    ),
    DemoProject(
        "wearable", "startup", "in_progress", 32, factor=1.2,
        comments=(
            ("staff", "First casing printed: the strap slot needs 2 mm more."),
            ("requester", "Great, we adjusted the model and uploaded version 3."),
        ),
    ),
    DemoProject(
        "counter", "sme", "delivered", 75, demo_login=True,
        comments=(
            ("staff", "The counter is ready for pick-up at the hall's loading bay."),
            ("requester", "Picked up today, it looks great."),
        ),
    ),
    DemoProject(
        "test-jig", "public", "delivered", 60, factor=0.9,
        title="Sample holders and test jig for the lab",
    ),
    DemoProject(
        "signage", "nonprofit", "closed", 200, factor=1.35,
        title="Festival signage and volunteers' badges",
        comments=(
            ("staff", "The vinyl needed a second run: the first batch did not stick well."),
            ("requester", "Thank you for the extra work, the festival looked great."),
        ),
    ),
    DemoProject("front-panels", "sme", "closed", 150, factor=0.85),
    DemoProject(
        "housing-print", "sme", "declined", 25, title="5,000 injection-moulded clips",
        comments=(("requester", "We would need the whole series by March."),),
    ),
    DemoProject(
        "furniture", "startup", "cancelled", 45, cancelled_from="quoted",
        title="Drone frame prototype",
    ),
)  # fmt: skip

DECLINE_REASONS = (
    "A series production of this size is outside the FabLab's charter: we build "
    "prototypes, not series. We can put you in touch with manufacturers in the cluster.",
    "The parts need injection moulding, which the FabLab does not offer. We suggest a "
    "3D-printed prototype first; ask us again if that helps.",
    "Our machine calendar cannot meet this deadline. Please ask again with a little more time.",
)
CANCEL_REASONS_REQUESTER = (
    "Our funding was not granted this year.",
    "The client dropped the project.",
    "We found a supplier close to our production site.",
    "We postponed the product launch.",
)
CANCEL_REASONS_STAFF = (
    "Cancelled at the organisation's request: the project is on hold.",
    "Cancelled: the organisation stopped answering after the first sessions.",
)
REJECT_NOTES = (
    "Above our budget: could we reduce the number of parts?",
    "Please quote in another material.",
    "We need it sooner than that.",
)
COMMENTS_REQUESTER = (
    "Drawings attached; we are flexible on the material.",
    "Could we come by to see the first parts?",
    "Thank you, the parts fit well.",
    "We updated the model, the new file is attached.",
    "Received, thank you: it works as we hoped.",
)
COMMENTS_STAFF = (
    "Here is our quote; the estimate includes a test run.",
    "First parts done: photos are in the timeline.",
    "We adjusted the settings after the test cut.",
    "Ready for pick-up at the reception.",
)
COMMENTS_INTERNAL = (
    "Check the material stock before the run.",
    "Client prefers to be called rather than e-mailed.",
    "Keep the offcuts: they asked for them.",
)
STAFF_NOTES = (
    "Preparing the files",
    "Machine set-up and test run",
    "Finishing and quality check",
    "Meeting with the client",
    "Assembly",
)
