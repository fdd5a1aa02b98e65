"""Reference rows every FabLab installation starts with: machine categories and price
groups. Created when missing after every migrate; staff edits to existing rows survive."""

from __future__ import annotations

# (slug, English, French, German); the order is the order of display.
CATEGORIES = (
    ("laser-cutter", "Laser cutter", "Découpeuse laser", "Laserschneider"),
    ("3d-printer", "3D printer", "Imprimante 3D", "3D-Drucker"),
    ("cnc-mill", "CNC mill", "Fraiseuse CNC", "CNC-Fräse"),
    ("large-cnc", "Large-format CNC router", "Fraiseuse CNC grand format", "Großformat-CNC-Fräse"),
    ("vinyl-cutter", "Vinyl cutter", "Plotter de découpe vinyle", "Schneideplotter"),
    ("textile", "Embroidery and textile", "Broderie et textile", "Stickerei und Textil"),
    ("electronics", "Electronics bench", "Poste d'électronique", "Elektronikarbeitsplatz"),
    ("waterjet", "Waterjet cutter", "Découpe jet d'eau", "Wasserstrahlschneider"),
    ("woodworking", "Woodworking machine", "Machine à bois", "Holzbearbeitungsmaschine"),
    ("metalworking", "Metalworking machine", "Machine à métaux", "Metallbearbeitungsmaschine"),
    ("3d-scanner", "3D scanner", "Scanner 3D", "3D-Scanner"),
)

PRICE_GROUPS = (
    ("public", "Public", "Public", "Öffentlichkeit"),
    ("cluster-member", "Cluster member", "Membre du cluster", "Clustermitglied"),
    ("student", "Student", "Étudiant·e", "Studierende"),
    ("incubated-startup", "Incubated startup", "Startup incubée", "Inkubiertes Startup"),
    ("nonprofit", "Nonprofit", "Association sans but lucratif", "Gemeinnützige Organisation"),
    ("sme", "SME", "PME", "KMU"),
    ("large-company", "Large company", "Grande entreprise", "Großunternehmen"),
)


def reference_data_ensure() -> None:
    from fabreck.fablab.models import MachineCategory, PriceGroup

    for model, rows in ((MachineCategory, CATEGORIES), (PriceGroup, PRICE_GROUPS)):
        existing = set(model.objects.values_list("slug", flat=True))
        model.objects.bulk_create(
            [
                model(slug=slug, name_en=en, name_fr=fr, name_de=de, position=position)
                for position, (slug, en, fr, de) in enumerate(rows)
                if slug not in existing
            ]
        )
