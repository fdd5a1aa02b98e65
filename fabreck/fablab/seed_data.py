# ruff: noqa: RUF001, RUF003  (typography: "250 × 210 mm", "FabLab Esch – Prototyping")
"""What the FabLab seeder builds: the two sites, their fleet, courses, rates and materials,
Luxembourg's public holidays, and the shape of a day of bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from dateutil.easter import easter

from fabreck.fablab.models import Site

STAFF_EMAIL = "site-staff@demo.fabreck.lu"
DEMO_MAKER_EMAIL = "maker@demo.fabreck.lu"
INSTRUCTOR_EMAIL = "workshop-lead@demo.fabreck.lu"  # scale large: teaches at Differdange
MAKERS_MARK = "@makers."

# --- Sites ------------------------------------------------------------------------------

SITES = (
    {
        "slug": "esch",
        "name": "FabLab Esch – Prototyping",
        "kind": Site.Kind.PROTOTYPING,
        "street": "5, avenue des Hauts-Fourneaux",
        "postcode": "L-4362",
        "locality": "Esch-sur-Alzette",
        "email": "fablab-esch@demo.fabreck.lu",
        "phone": "+352 26 55 12 30",
        "is_open_to_public": True,
        "description_en": (
            "The public FabLab of Belval, between the university and the blast furnaces: "
            "laser cutters, 3D printers, a small CNC mill, vinyl, embroidery and electronics "
            "for anyone with an idea to try out. Thursday is open late."
        ),
        "description_fr": (
            "Le FabLab public de Belval, entre l'université et les hauts-fourneaux : "
            "découpe laser, impression 3D, petite fraiseuse CNC, vinyle, broderie et "
            "électronique pour toute personne qui veut tester une idée. Nocturne le jeudi."
        ),
        "description_de": (
            "Das öffentliche FabLab in Belval, zwischen Universität und Hochöfen: "
            "Laserschneider, 3D-Drucker, eine kleine CNC-Fräse, Plotter, Stickmaschine und "
            "Elektronik für alle, die eine Idee ausprobieren wollen. Donnerstags länger offen."
        ),
        # weekday -> opening intervals
        "hours": {
            1: ((time(10), time(18)),),
            2: ((time(10), time(18)),),
            3: ((time(10), time(21)),),
            4: ((time(10), time(18)),),
            5: ((time(10), time(17)),),
        },
        "rules": {
            "slot_minutes": 15,
            "min_booking_minutes": 30,
            "max_booking_minutes": 180,
            "max_days_ahead": 21,
            "min_notice_minutes": 60,
            "cancellation_hours": 24,
            "weekly_quota_hours": 6,
        },
    },
    {
        "slug": "differdange",
        "name": "FabLab Differdange – Industrial",
        "kind": Site.Kind.INDUSTRIAL,
        "street": "115, rue Émile Mark",
        "postcode": "L-4620",
        "locality": "Differdange",
        "email": "fablab-differdange@demo.fabreck.lu",
        "phone": "+352 26 58 40 10",
        "is_open_to_public": True,
        "description_en": (
            "Industrial machines in a creative hub, in a former steelworks building: a "
            "large-format CNC router, a waterjet, wood and metal workshops. The hub also "
            "rents a workshop room, a rehearsal room and its production hall by the hour."
        ),
        "description_fr": (
            "Des machines industrielles dans un hub créatif, un ancien bâtiment de "
            "l'usine sidérurgique : fraiseuse CNC grand format, découpe jet d'eau, ateliers "
            "bois et métal. Le hub loue aussi à l'heure une salle d'atelier, une salle de "
            "répétition et sa halle de production."
        ),
        "description_de": (
            "Industriemaschinen in einem Kreativhub, einem ehemaligen Stahlwerksgebäude: "
            "Großformat-CNC-Fräse, Wasserstrahlschneider, Holz- und Metallwerkstatt. Der "
            "Hub vermietet außerdem stundenweise einen Werkraum, einen Proberaum und seine "
            "Produktionshalle."
        ),
        "hours": {weekday: ((time(8), time(12)), (time(13), time(18))) for weekday in range(5)},
        "rules": {
            "slot_minutes": 30,
            "min_booking_minutes": 60,
            "max_booking_minutes": 300,
            "max_days_ahead": 42,
            "min_notice_minutes": 720,
            "cancellation_hours": 48,
            "weekly_quota_hours": 20,
        },
    },
)

# Closures beyond public holidays: (site, first, last) as functions of the year.
SITE_BREAKS = {
    "esch": (
        (lambda y: date(y, 12, 24), lambda y: date(y + 1, 1, 1), "Christmas break",
         "Fermeture de fin d'année", "Weihnachtspause"),
    ),
    "differdange": (
        (lambda y: _first_monday(y, 8), lambda y: _first_monday(y, 8) + timedelta(days=11),
         "Summer shutdown: machine servicing", "Fermeture d'été : entretien des machines",
         "Sommerpause: Wartung der Maschinen"),
    ),
}  # fmt: skip


def _first_monday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def lu_public_holidays(year: int) -> list[tuple[date, str, str, str]]:
    """Luxembourg's legal public holidays of `year` (Europe Day since 2019)."""
    sunday = easter(year)
    days = [
        (date(year, 1, 1), "New Year's Day", "Jour de l'an", "Neujahr"),
        (sunday + timedelta(days=1), "Easter Monday", "Lundi de Pâques", "Ostermontag"),
        (date(year, 5, 1), "Labour Day", "Fête du Travail", "Tag der Arbeit"),
        (sunday + timedelta(days=39), "Ascension Day", "Ascension", "Christi Himmelfahrt"),
        (sunday + timedelta(days=50), "Whit Monday", "Lundi de Pentecôte", "Pfingstmontag"),
        (date(year, 6, 23), "National Day", "Fête nationale", "Nationalfeiertag"),
        (date(year, 8, 15), "Assumption Day", "Assomption", "Mariä Himmelfahrt"),
        (date(year, 11, 1), "All Saints' Day", "Toussaint", "Allerheiligen"),
        (date(year, 12, 25), "Christmas Day", "Noël", "Erster Weihnachtstag"),
        (date(year, 12, 26), "St Stephen's Day", "Lendemain de Noël", "Stephanstag"),
    ]
    if year >= 2019:
        days.append((date(year, 5, 9), "Europe Day", "Journée de l'Europe", "Europatag"))
    return sorted(days)


# --- Courses ----------------------------------------------------------------------------

# slug, category, home site, minutes, validity (months or None), EN, FR, DE names,
# EN/FR/DE descriptions.
COURSES = (
    ("laser-safety", "laser-cutter", "esch", 180, 24,
     "Laser cutting: safety and basics", "Découpe laser : sécurité et bases",
     "Laserschneiden: Sicherheit und Grundlagen",
     "Materials that may go in, fire watch, focus, power and speed; your first cut and "
     "engraving from a vector file.",
     "Matériaux autorisés, surveillance du feu, focale, puissance et vitesse ; première "
     "découpe et gravure depuis un fichier vectoriel.",
     "Zulässige Materialien, Brandwache, Fokus, Leistung und Geschwindigkeit; der erste "
     "Schnitt und die erste Gravur aus einer Vektordatei."),
    ("3d-printing-basics", "3d-printer", "esch", 90, None,
     "3D printing basics", "Bases de l'impression 3D", "Grundlagen 3D-Druck",
     "Slicing with PrusaSlicer and Bambu Studio, loading filament, first layer, removing "
     "prints safely.",
     "Découpage avec PrusaSlicer et Bambu Studio, chargement du filament, première couche, "
     "retrait des pièces en sécurité.",
     "Slicen mit PrusaSlicer und Bambu Studio, Filament laden, erste Schicht, Drucke "
     "sicher entnehmen."),
    ("resin-printing", "3d-printer", "esch", 90, 36,
     "Resin printing (SLA)", "Impression résine (SLA)", "Harzdruck (SLA)",
     "Handling resin with gloves, supports in PreForm, washing and curing.",
     "Manipuler la résine avec des gants, supports dans PreForm, lavage et polymérisation.",
     "Harz mit Handschuhen handhaben, Stützen in PreForm, Waschen und Aushärten."),
    ("cnc-milling", "cnc-mill", "esch", 240, 24,
     "Desktop CNC milling", "Fraisage CNC de bureau", "CNC-Fräsen am Tisch",
     "CAM toolpaths, clamping, zeroing and tool changes on the benchtop mills.",
     "Parcours d'outils FAO, bridage, prise d'origine et changement d'outil sur les "
     "fraiseuses de table.",
     "CAM-Werkzeugwege, Spannen, Nullpunkt und Werkzeugwechsel an den Tischfräsen."),
    ("large-cnc-router", "large-cnc", "differdange", 240, 12,
     "Large-format CNC router", "Fraiseuse CNC grand format", "Großformat-CNC-Fräse",
     "Full sheets on the vacuum table, dust extraction, feeds and speeds, emergency stops.",
     "Panneaux entiers sur la table aspirante, aspiration, avances et vitesses, arrêts "
     "d'urgence.",
     "Ganze Platten auf dem Vakuumtisch, Absaugung, Vorschub und Drehzahl, Not-Aus."),
    ("vinyl-cutting", "vinyl-cutter", "esch", 60, None,
     "Vinyl cutting and heat transfer", "Découpe vinyle et flocage", "Plotten und Flexdruck",
     "Preparing a cut file, weeding, transfer tape and the heat press.",
     "Préparer le fichier de découpe, échenillage, tapis de transfert et presse à chaud.",
     "Schneidedatei vorbereiten, Entgittern, Transferfolie und Transferpresse."),
    ("embroidery-machine", "textile", "esch", 120, 36,
     "Machine embroidery", "Broderie machine", "Maschinensticken",
     "Digitising a design, hooping, stabilisers and thread changes on the 10-needle machine.",
     "Numériser un motif, cadrage, stabilisateurs et changement de fils sur la brodeuse "
     "10 aiguilles.",
     "Motive digitalisieren, Einspannen, Vlies und Fadenwechsel an der 10-Nadel-Maschine."),
    ("soldering-safety", "electronics", "esch", 60, None,
     "Soldering and electronics safety", "Soudure et sécurité électronique",
     "Löten und Elektroniksicherheit",
     "Fumes, temperatures, the bench instruments and what never to plug into the mains.",
     "Fumées, températures, instruments du poste et ce qu'on ne branche jamais au secteur.",
     "Dämpfe, Temperaturen, die Messgeräte und was nie ans Netz gehört."),
    ("waterjet-operator", "waterjet", "differdange", 240, 12,
     "Waterjet operator", "Opérateur jet d'eau", "Wasserstrahl-Bediener",
     "Abrasive, nesting, pierce heights and the high-pressure safety rules.",
     "Abrasif, imbrication, hauteur de perçage et règles de sécurité haute pression.",
     "Abrasiv, Verschachtelung, Anstechhöhe und die Hochdruck-Sicherheitsregeln."),
    ("woodworking-safety", "woodworking", "differdange", 240, 24,
     "Woodworking machines", "Machines à bois", "Holzbearbeitungsmaschinen",
     "Panel saw, planer-thickness and mitre saw: guards, push sticks, kickback.",
     "Scie à format, dégauchisseuse-raboteuse et scie à onglets : protections, poussoirs, "
     "rejet.",
     "Formatkreissäge, Abricht-Dickenhobel und Kappsäge: Schutz, Schiebestock, Rückschlag."),
    ("metalworking-safety", "metalworking", "differdange", 240, 24,
     "Lathe and milling drill", "Tour et perceuse-fraiseuse", "Drehbank und Bohrfräse",
     "Chucks, cutting speeds, chips and coolant on the lathe and the milling drill.",
     "Mandrins, vitesses de coupe, copeaux et lubrifiant au tour et à la perceuse-fraiseuse.",
     "Futter, Schnittgeschwindigkeit, Späne und Kühlmittel an Drehbank und Bohrfräse."),
    ("3d-scanning", "3d-scanner", "esch", 60, None,
     "3D scanning", "Numérisation 3D", "3D-Scannen",
     "Structured-light scanning, markers, merging and cleaning meshes.",
     "Scan à lumière structurée, repères, fusion et nettoyage des maillages.",
     "Streifenlichtscan, Marker, Zusammenführen und Bereinigen von Netzen."),
)  # fmt: skip

# Share of a site's active makers who take each course.
COURSE_TAKE_UP = {
    "laser-safety": 0.55,
    "3d-printing-basics": 0.7,
    "resin-printing": 0.12,
    "cnc-milling": 0.12,
    "large-cnc-router": 0.25,
    "vinyl-cutting": 0.25,
    "embroidery-machine": 0.15,
    "soldering-safety": 0.1,
    "waterjet-operator": 0.15,
    "woodworking-safety": 0.5,
    "metalworking-safety": 0.25,
    "3d-scanning": 0.05,
}

# --- Fleet ------------------------------------------------------------------------------

CATEGORY_TEXT = {
    "laser-cutter": (
        "CO₂ laser for cutting and engraving wood, acrylic, cardboard, leather and textiles.",
        "Laser CO₂ pour découper et graver bois, acrylique, carton, cuir et textiles.",
        "CO₂-Laser zum Schneiden und Gravieren von Holz, Acryl, Karton, Leder und Textil.",
    ),
    "3d-printer": (
        "Filament 3D printer for prototypes, enclosures and spare parts.",
        "Imprimante 3D à filament pour prototypes, boîtiers et pièces détachées.",
        "Filament-3D-Drucker für Prototypen, Gehäuse und Ersatzteile.",
    ),
    "cnc-mill": (
        "Benchtop CNC mill for wax, foam, wood, plastics and soft metals.",
        "Fraiseuse CNC de table pour cire, mousse, bois, plastiques et métaux tendres.",
        "Tisch-CNC-Fräse für Wachs, Schaum, Holz, Kunststoffe und weiche Metalle.",
    ),
    "large-cnc": (
        "Large-format CNC router for full sheets: furniture, stands, formwork.",
        "Fraiseuse CNC grand format pour panneaux entiers : mobilier, stands, coffrages.",
        "Großformat-CNC-Fräse für ganze Platten: Möbel, Messestände, Schalungen.",
    ),
    "vinyl-cutter": (
        "Vinyl cutter for stickers, signs, stencils and heat-transfer textile prints.",
        "Plotter de découpe pour autocollants, signalétique, pochoirs et flocage textile.",
        "Schneideplotter für Aufkleber, Beschriftungen, Schablonen und Textil-Flexdruck.",
    ),
    "textile": (
        "For textiles: sewing, hemming and embroidery.",
        "Pour le textile : couture, ourlets et broderie.",
        "Für Textilien: Nähen, Säumen und Sticken.",
    ),
    "electronics": (
        "Electronics bench: soldering station, oscilloscope, bench power supply, multimeter.",
        "Poste d'électronique : station de soudure, oscilloscope, alimentation, multimètre.",
        "Elektronikplatz: Lötstation, Oszilloskop, Labornetzteil, Multimeter.",
    ),
    "waterjet": (
        "Abrasive waterjet cutting steel, aluminium, stone and glass without heat.",
        "Jet d'eau abrasif qui découpe acier, aluminium, pierre et verre sans chaleur.",
        "Abrasiv-Wasserstrahl schneidet Stahl, Aluminium, Stein und Glas ohne Hitze.",
    ),
    "woodworking": (
        "Woodworking machine of the wood workshop, with dust extraction.",
        "Machine de l'atelier bois, avec aspiration des copeaux.",
        "Maschine der Holzwerkstatt, mit Späneabsaugung.",
    ),
    "metalworking": (
        "Machine of the metal workshop, for turning, drilling and milling parts.",
        "Machine de l'atelier métal, pour tourner, percer et fraiser des pièces.",
        "Maschine der Metallwerkstatt zum Drehen, Bohren und Fräsen von Teilen.",
    ),
    "3d-scanner": (
        "3D scanner turning objects into meshes for printing, milling or archiving.",
        "Scanner 3D qui transforme des objets en maillages à imprimer, fraiser ou archiver.",
        "3D-Scanner, der Objekte in Netze zum Drucken, Fräsen oder Archivieren verwandelt.",
    ),
}

SPACE_TEXT = {
    "production-hall": (
        "The hub's production hall, 600 m² with a 5 t crane and a loading door; rented by "
        "the hour to companies for production runs, shoots and set building. Booking it "
        "holds the industrial machines standing in it.",
        "La halle de production du hub, 600 m², pont roulant de 5 t et porte de "
        "chargement ; louée à l'heure aux entreprises pour des séries, tournages et "
        "constructions de décors. La réserver bloque les machines industrielles qui s'y "
        "trouvent.",
        "Die Produktionshalle des Hubs, 600 m² mit 5-t-Kran und Ladetor; stundenweise an "
        "Unternehmen vermietet für Serien, Drehs und Kulissenbau. Ihre Buchung blockiert "
        "die Industriemaschinen darin.",
    ),
    "workshop-room": (
        "Workshop room for classes and team sessions, with tables, a projector and 3D "
        "printers. Booking the room holds its printers.",
        "Salle d'atelier pour cours et sessions d'équipe, avec tables, projecteur et "
        "imprimantes 3D. La réserver bloque ses imprimantes.",
        "Werkraum für Kurse und Teamsitzungen, mit Tischen, Beamer und 3D-Druckern. Seine "
        "Buchung blockiert die Drucker darin.",
    ),
    "rehearsal-room": (
        "Sound-proofed rehearsal room with a PA, drum kit and amplifiers.",
        "Salle de répétition insonorisée avec sonorisation, batterie et amplis.",
        "Schallgedämmter Proberaum mit PA, Schlagzeug und Verstärkern.",
    ),
    "seminar-room": (
        "Seminar room for 24 with a screen and a whiteboard wall.",
        "Salle de séminaire pour 24 personnes avec écran et mur tableau blanc.",
        "Seminarraum für 24 Personen mit Bildschirm und Whiteboard-Wand.",
    ),
    "photo-studio": (
        "Photo and video studio with a cyclorama, flash heads and LED panels.",
        "Studio photo et vidéo avec cyclo, flashs et panneaux LED.",
        "Foto- und Videostudio mit Hohlkehle, Blitzköpfen und LED-Panels.",
    ),
}


@dataclass(frozen=True)
class Unit:
    """One machine or space of the fleet."""

    site: str
    slug: str
    name: str
    category: str | None  # None for spaces
    docs: str = ""
    specs: tuple[str, ...] = ()
    course: str | None = None
    space: str | None = None
    status: str = "available"
    bookable: bool = True
    capacity: int | None = None
    large_only: bool = False

    @property
    def is_space(self) -> bool:
        return self.category is None


PRUSA_SPECS = (
    "Build volume 250 × 210 × 220 mm",
    "0.4 mm nozzle, layer height 0.05–0.3 mm",
    "Materials: PLA, PETG, ASA, TPU",
    "Input shaper, load-cell first-layer calibration",
)
BAMBU_X1_SPECS = (
    "Build volume 256 × 256 × 256 mm",
    "AMS: four colours or materials per print",
    "Hardened steel nozzle: carbon-fibre filaments allowed",
    "Lidar first-layer inspection",
)
BAMBU_P1S_SPECS = (
    "Build volume 256 × 256 × 256 mm",
    "Enclosed, for PLA, PETG, ABS and ASA",
    "Up to 500 mm/s",
)
BENCH_SPECS = (
    "Weller WE 1010 soldering station",
    "Rigol DS1054Z oscilloscope, 4 × 50 MHz",
    "Korad KA3005P bench power supply, 0–30 V / 5 A",
    "Fume extractor",
)

FLEET: tuple[Unit, ...] = (
    # FabLab Esch – Prototyping
    Unit("esch", "esch-trotec-speedy-400", "Trotec Speedy 400", "laser-cutter",
         "https://www.troteclaser.com/en/",
         ("Work area 1000 × 610 mm", "CO₂ laser 80 W", "Cuts up to 8 mm plywood",
          "Rotary attachment for glasses and bottles"), course="laser-safety"),
    Unit("esch", "esch-epilog-fusion-pro-32", "Epilog Fusion Pro 32", "laser-cutter",
         "https://www.epiloglaser.com/",
         ("Work area 812 × 508 mm", "CO₂ laser 60 W", "Camera positioning (IRIS)",
          "Engraves anodised aluminium and glass"), course="laser-safety",
         status="maintenance"),
    *(Unit("esch", f"esch-prusa-mk4-{n}", f"Original Prusa MK4 #{n}", "3d-printer",
           "https://help.prusa3d.com/", PRUSA_SPECS,
           course="3d-printing-basics", large_only=n > 3) for n in range(1, 21)),
    *(Unit("esch", f"esch-bambu-x1c-{n}", f"Bambu Lab X1 Carbon #{n}", "3d-printer",
           "https://wiki.bambulab.com/en/x1", BAMBU_X1_SPECS, course="3d-printing-basics",
           large_only=n > 1) for n in range(1, 5)),
    *(Unit("esch", "esch-formlabs-form-3-plus" + ("" if n == 1 else f"-{n}"),
           "Formlabs Form 3+" + ("" if n == 1 else f" #{n}"), "3d-printer",
           "https://support.formlabs.com/",
           ("SLA, build volume 145 × 145 × 185 mm", "Layer height 25–300 µm",
            "Form Wash and Form Cure included", "Resins: Standard, Tough, Clear"),
           course="resin-printing", large_only=n > 1) for n in range(1, 3)),
    Unit("esch", "esch-roland-mdx-50", "Roland MDX-50", "cnc-mill",
         "https://www.rolanddg.com/en/",
         ("Work area 400 × 305 × 135 mm", "Automatic tool changer, 6 tools",
          "Wax, foam, wood, resin, aluminium"), course="cnc-milling"),
    Unit("esch", "esch-stepcraft-d840", "Stepcraft D.840", "cnc-mill",
         "https://www.stepcraft-systems.com/en/",
         ("Work area 600 × 840 × 140 mm", "HF spindle 500 W", "Wood, plastics, aluminium"),
         course="cnc-milling", status="out_of_order"),
    Unit("esch", "esch-roland-camm-1-gs-24", "Roland CAMM-1 GS-24", "vinyl-cutter",
         "https://www.rolanddg.com/en/",
         ("Cutting width up to 584 mm", "Cutting force 350 gf", "Heat press 38 × 38 cm"),
         course="vinyl-cutting"),
    Unit("esch", "esch-brother-pr1055x", "Brother PR1055X", "textile",
         "https://www.brother.eu/",
         ("10 needles", "Embroidery area 360 × 200 mm", "Caps and tubular frames",
          "PE-Design software"), course="embroidery-machine"),
    *(Unit("esch", f"esch-bernina-335-{n}", f"BERNINA 335 #{n}", "textile",
           "https://www.bernina.com/",
           ("Mechanical sewing machine, 97 stitches", "Free arm, needle threader"),
           large_only=n > 1) for n in range(1, 7)),
    *(Unit("esch", f"esch-electronics-bench-{n}", f"Electronics bench {n}", "electronics",
           "https://www.weller-tools.com/", BENCH_SPECS, large_only=n > 2)
      for n in range(1, 11)),
    Unit("esch", "esch-einscan-sp", "Shining 3D EinScan SP", "3d-scanner",
         "https://www.einscan.com/",
         ("Structured white light", "Accuracy 0.05 mm", "Turntable for objects up to 5 kg")),
    Unit("esch", "esch-einscan-h", "Shining 3D EinScan H", "3d-scanner",
         "https://www.einscan.com/",
         ("Handheld hybrid LED and infrared scanner", "Colour texture", "People and objects"),
         large_only=True),
    Unit("esch", "esch-brother-pr680w", "Brother PR680W", "textile",
         "https://www.brother.eu/",
         ("6 needles", "Embroidery area 300 × 200 mm"), course="embroidery-machine",
         large_only=True),
    Unit("esch", "esch-trotec-speedy-300", "Trotec Speedy 300", "laser-cutter",
         "https://www.troteclaser.com/en/",
         ("Work area 726 × 432 mm", "CO₂ laser 60 W"), course="laser-safety", large_only=True),
    Unit("esch", "esch-roland-camm-1-gs2-24", "Roland CAMM-1 GS2-24", "vinyl-cutter",
         "https://www.rolanddg.com/en/",
         ("Cutting width up to 584 mm", "Cutting force 350 gf"), course="vinyl-cutting",
         large_only=True),
    # FabLab Differdange – Industrial
    Unit("differdange", "differdange-production-hall", "Production hall", None,
         specs=("600 m², 7 m under the crane", "5 t overhead crane", "Loading door 4 × 4.5 m",
                "400 V / 63 A power outlets"), bookable=False, capacity=40),
    Unit("differdange", "differdange-workshop-room", "Workshop room", None,
         specs=("80 m², 16 tables", "Projector and sound", "3D printers for classes"),
         capacity=16),
    Unit("differdange", "differdange-rehearsal-room", "Rehearsal room", None,
         specs=("35 m², sound-proofed", "PA 2 × 1000 W, drum kit, bass and guitar amps"),
         capacity=8),
    Unit("differdange", "differdange-seminar-room", "Seminar room", None,
         specs=("60 m²", "86-inch screen", "Whiteboard wall"), capacity=24, large_only=True),
    Unit("differdange", "differdange-photo-studio", "Photo studio", None,
         specs=("90 m², cyclorama 6 × 4 m", "4 flash heads, 2 LED panels"), capacity=6,
         large_only=True),
    Unit("differdange", "differdange-shopbot-prsalpha", "ShopBot PRSalpha 96-48", "large-cnc",
         "https://www.shopbottools.com/",
         ("Work area 2540 × 1245 × 200 mm", "HSD spindle 3 kW", "Vacuum hold-down table",
          "Full 8 × 4 ft sheets"), course="large-cnc-router", space="production-hall"),
    Unit("differdange", "differdange-felder-creator-950", "Felder CREATOR 950", "large-cnc",
         "https://www.felder-group.com/",
         ("Work area 3100 × 1300 mm", "12 kW spindle, 18-place tool changer",
          "Nesting with automatic labelling"), course="large-cnc-router",
         space="production-hall", large_only=True),
    Unit("differdange", "differdange-flow-mach-100", "Flow Mach 100 waterjet", "waterjet",
         "https://www.flowwaterjet.com/",
         ("Table 2000 × 1500 mm", "Pump 3800 bar", "Steel up to 50 mm, aluminium, stone, glass"),
         course="waterjet-operator", space="production-hall"),
    Unit("differdange", "differdange-felder-k700s", "Felder K 700 S panel saw", "woodworking",
         "https://www.felder-group.com/",
         ("Sliding table 2800 mm", "Saw blade Ø 315 mm", "Tilting 0–46°"),
         course="woodworking-safety", space="production-hall"),
    Unit("differdange", "differdange-felder-ad741", "Felder AD 741 planer-thicknesser",
         "woodworking", "https://www.felder-group.com/",
         ("Planing width 410 mm", "Silent-POWER spiral cutter block"),
         course="woodworking-safety", space="production-hall"),
    Unit("differdange", "differdange-festool-kapex", "Festool Kapex KS 120 mitre saw",
         "woodworking", "https://www.festool.com/",
         ("Cutting width 305 mm", "Laser guide"), course="woodworking-safety"),
    Unit("differdange", "differdange-optimum-tu2807v", "Optimum TU 2807V lathe",
         "metalworking", "https://www.optimum-maschinen.de/en/",
         ("Centre distance 700 mm", "Swing 280 mm", "Variable speed 150–2500 rpm"),
         course="metalworking-safety", space="production-hall"),
    Unit("differdange", "differdange-optimum-mh50v", "Optimum MH 50V milling drill",
         "metalworking", "https://www.optimum-maschinen.de/en/",
         ("Table 750 × 210 mm", "MK4 spindle", "Digital readout"),
         course="metalworking-safety", space="production-hall"),
    Unit("differdange", "differdange-felder-fb510", "Felder FB 510 bandsaw", "woodworking",
         "https://www.felder-group.com/", ("Cutting height 400 mm", "Wheel Ø 500 mm"),
         course="woodworking-safety", space="production-hall", large_only=True),
    Unit("differdange", "differdange-lorch-micormig", "Lorch MicorMIG 300 welder",
         "metalworking", "https://www.lorch.eu/",
         ("MIG/MAG, 300 A", "Steel, stainless steel, aluminium", "Fume extraction arm"),
         course="metalworking-safety", space="production-hall", large_only=True),
    *(Unit("differdange", f"differdange-bambu-p1s-{letter.lower()}",
           f"Bambu Lab P1S {letter}", "3d-printer", "https://wiki.bambulab.com/en/p1",
           BAMBU_P1S_SPECS, course="3d-printing-basics", space="workshop-room",
           large_only=letter > "B") for letter in "ABCDEFGHIJ"),
    Unit("differdange", "differdange-artec-eva", "Artec Eva", "3d-scanner",
         "https://www.artec3d.com/portable-3d-scanners/artec-eva",
         ("Handheld structured-light scanner", "Accuracy 0.1 mm", "Texture capture"),
         course="3d-scanning"),
)  # fmt: skip

# Public hourly rates per category, EUR; the other groups pay a share of it.
CATEGORY_RATES = {
    "laser-cutter": Decimal("30"),
    "3d-printer": Decimal("6"),
    "cnc-mill": Decimal("25"),
    "large-cnc": Decimal("45"),
    "vinyl-cutter": Decimal("12"),
    "textile": Decimal("10"),
    "electronics": Decimal("5"),
    "waterjet": Decimal("90"),
    "woodworking": Decimal("20"),
    "metalworking": Decimal("25"),
    "3d-scanner": Decimal("15"),
}
GROUP_FACTORS = {
    "public": Decimal("1"),
    "cluster-member": Decimal("0.75"),
    "student": Decimal("0.5"),
    "incubated-startup": Decimal("0.5"),
    "nonprofit": Decimal("0.6"),
    "sme": Decimal("1.25"),
    "large-company": Decimal("1.6"),
}
# Resource-level rates (public): the spaces, and a dearer printer.
RESOURCE_RATES = {
    "differdange-production-hall": Decimal("120"),
    "differdange-workshop-room": Decimal("35"),
    "differdange-rehearsal-room": Decimal("15"),
    "differdange-seminar-room": Decimal("30"),
    "differdange-photo-studio": Decimal("40"),
    **{f"esch-bambu-x1c-{n}": Decimal("8") for n in range(1, 5)},
    "esch-formlabs-form-3-plus": Decimal("10"),
    "esch-formlabs-form-3-plus-2": Decimal("10"),
}

# site, key, EN, FR, DE, unit, price, quantity range, used on (categories or slugs)
MATERIALS = (
    ("esch", "poplar-3", "Poplar plywood 3 mm, 600 × 400 mm", "Contreplaqué peuplier 3 mm, "
     "600 × 400 mm", "Pappelsperrholz 3 mm, 600 × 400 mm", "sheet", "4.50", (1, 4),
     ("laser-cutter",)),
    ("esch", "birch-4", "Birch plywood 4 mm, 600 × 400 mm", "Contreplaqué bouleau 4 mm, "
     "600 × 400 mm", "Birkensperrholz 4 mm, 600 × 400 mm", "sheet", "6.00", (1, 3),
     ("laser-cutter", "cnc-mill")),
    ("esch", "mdf-3", "MDF 3 mm, 600 × 400 mm", "MDF 3 mm, 600 × 400 mm",
     "MDF 3 mm, 600 × 400 mm", "sheet", "2.50", (1, 5), ("laser-cutter",)),
    ("esch", "acrylic-3", "Cast acrylic 3 mm, 600 × 400 mm", "Acrylique coulé 3 mm, "
     "600 × 400 mm", "Acrylglas gegossen 3 mm, 600 × 400 mm", "sheet", "9.00", (1, 2),
     ("laser-cutter",)),
    ("esch", "pla", "PLA filament", "Filament PLA", "PLA-Filament", "100 g", "3.00",
     (0.3, 4), ("esch-prusa", "esch-bambu")),
    ("esch", "petg", "PETG filament", "Filament PETG", "PETG-Filament", "100 g", "3.50",
     (0.3, 3), ("esch-prusa", "esch-bambu")),
    ("esch", "resin", "Formlabs Standard resin", "Résine Formlabs Standard",
     "Formlabs-Standardharz", "100 ml", "18.00", (0.2, 2), ("esch-formlabs",)),
    ("esch", "wax", "Machinable wax block 150 × 90 × 38 mm", "Bloc de cire usinable "
     "150 × 90 × 38 mm", "Fräswachsblock 150 × 90 × 38 mm", "piece", "12.00", (1, 2),
     ("cnc-mill",)),
    ("esch", "vinyl", "Adhesive vinyl (Oracal 651)", "Vinyle adhésif (Oracal 651)",
     "Klebefolie (Oracal 651)", "m", "4.00", (0.5, 3), ("vinyl-cutter",)),
    ("esch", "flex", "Heat-transfer vinyl", "Flex thermocollant", "Flexfolie", "m", "9.00",
     (0.3, 2), ("vinyl-cutter",)),
    ("esch", "thread", "Embroidery thread (cone)", "Fil à broder (cône)", "Stickgarn (Konus)",
     "cone", "4.50", (1, 3), ("esch-brother",)),
    ("esch", "stabiliser", "Tear-away stabiliser", "Stabilisateur à déchirer",
     "Reißvlies", "m", "2.00", (0.5, 2), ("esch-brother",)),
    ("differdange", "birch-18", "Birch plywood 18 mm, 2500 × 1250 mm", "Contreplaqué "
     "bouleau 18 mm, 2500 × 1250 mm", "Birkensperrholz 18 mm, 2500 × 1250 mm", "sheet",
     "95.00", (1, 3), ("large-cnc", "woodworking")),
    ("differdange", "mdf-19", "MDF 19 mm, 2800 × 2070 mm", "MDF 19 mm, 2800 × 2070 mm",
     "MDF 19 mm, 2800 × 2070 mm", "sheet", "48.00", (1, 3), ("large-cnc", "woodworking")),
    ("differdange", "oak", "Oak board 27 mm", "Planche de chêne 27 mm", "Eichenbrett 27 mm",
     "m", "22.00", (1, 4), ("woodworking",)),
    ("differdange", "steel-3", "Steel sheet S235, 3 mm, 1000 × 500 mm", "Tôle acier S235, "
     "3 mm, 1000 × 500 mm", "Stahlblech S235, 3 mm, 1000 × 500 mm", "sheet", "38.00",
     (1, 3), ("waterjet",)),
    ("differdange", "alu-5", "Aluminium sheet 5 mm, 1000 × 500 mm", "Tôle aluminium 5 mm, "
     "1000 × 500 mm", "Aluminiumblech 5 mm, 1000 × 500 mm", "sheet", "64.00", (1, 2),
     ("waterjet",)),
    ("differdange", "garnet", "Garnet abrasive", "Abrasif grenat", "Granatsand", "kg",
     "0.80", (5, 40), ("waterjet",)),
    ("differdange", "steel-bar", "Steel round bar Ø 40 mm", "Rond acier Ø 40 mm",
     "Rundstahl Ø 40 mm", "m", "14.00", (0.2, 1), ("metalworking",)),
    ("differdange", "pla", "PLA filament", "Filament PLA", "PLA-Filament", "100 g", "3.00",
     (0.3, 4), ("differdange-bambu",)),
)  # fmt: skip

# Typical booking lengths (minutes) per category and space, clipped to the site's rules.
DURATIONS = {
    "laser-cutter": (30, 30, 45, 60, 60, 90),
    "3d-printer": (60, 60, 90, 120, 180),
    "cnc-mill": (60, 90, 120, 180),
    "large-cnc": (60, 120, 180, 240),
    "vinyl-cutter": (30, 30, 45, 60),
    "textile": (30, 60, 60, 90, 120),
    "electronics": (60, 60, 90, 120),
    "waterjet": (60, 60, 120, 180),
    "woodworking": (60, 60, 90, 120),
    "metalworking": (60, 90, 120, 180),
    "3d-scanner": (30, 45, 60),
    "production-hall": (180, 240, 300),
    "workshop-room": (120, 180, 240),
    "rehearsal-room": (60, 120, 180),
    "seminar-room": (60, 120, 180, 240),
    "photo-studio": (120, 180, 240, 300),
}
# Idle time before each booking (minutes), by scale: the demo lab is calm, the large
# history is a busy network.
GAPS = {
    "demo": ((0, 15, 30, 60, 90, 120, 180, 240), (12, 8, 12, 16, 14, 14, 12, 12)),
    "large": ((0, 15, 30, 60), (60, 20, 12, 8)),
}
# Share of open days a space with machines in it is booked as a whole.
SPACE_DAY_SHARE = {"production-hall": 0.12, "workshop-room": 0.3}

SCALE_ACTIVE_SHARE = 0.35  # makers of the large scale who ever use the FabLab
NO_SHOW = 0.05
CANCELLED = 0.08
BLOCK_SHARE = 0.012  # resource-days with a staff block
ORGANISATION_SHARE = 0.2  # bookings of organisation members made for the organisation

BLOCK_NOTES = (
    "School visit",
    "Staff prototype for a client",
    "Open day demonstration",
    "Calibration after repair",
    "Reserved for a workshop",
    "Visit of a partner company",
)
MAINTENANCE_NOTES = {
    "laser-cutter": "Lens and mirror cleaning, exhaust filter change",
    "3d-printer": "Nozzle change, belts and bed levelling",
    "cnc-mill": "Spindle check and lubrication",
    "large-cnc": "Vacuum pump service, spoilboard resurfacing",
    "vinyl-cutter": "Blade change and test cuts",
    "textile": "Oiling, needle and hook check",
    "electronics": "Tip change, instrument check",
    "waterjet": "High-pressure seals and abrasive system",
    "woodworking": "Blade sharpening and guard check",
    "metalworking": "Gib adjustment and coolant change",
    "3d-scanner": "Calibration",
}
CANCEL_REASONS = ("", "", "Project postponed", "Ill", "File not ready", "Booked twice")
EVIDENCE = (
    "Prior experience: trained at the University of Luxembourg's FabLab.",
    "Prior experience: vocational diploma (DAP) in joinery.",
    "Prior experience: used the same machine at school for two years.",
    "Prior experience: certificate from another FabLab, checked by the staff.",
)
PROJECTS = ("Prototype", "Stand", "Fixture", "Packaging", "Set", "Enclosure", "Sign")
