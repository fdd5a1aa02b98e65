"""What the events seeder draws from: workshop themes in three languages, the weekly slots
of each scale, schools, where families live, first names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal

GUARDIANS_DOMAIN = "families.demo.fabreck.lu"
TEACHERS_DOMAIN = "schools.demo.fabreck.lu"
GUARDIAN_LOGIN = "guardian@demo.fabreck.lu"
STAFF_LOGIN = "site-staff@demo.fabreck.lu"
MANAGER_LOGIN = "cluster-manager@demo.fabreck.lu"
MAKER_LOGIN = "maker@demo.fabreck.lu"

# key: (title EN, FR, DE, description EN, FR, DE)
THEMES: dict[str, tuple[str, str, str, str, str, str]] = {
    "robots": (
        "Robots with micro:bit", "Des robots avec micro:bit", "Roboter mit micro:bit",
        "Build a small robot, wire its motors and program it to follow a line.",
        "Construis un petit robot, branche ses moteurs et programme-le pour suivre une ligne.",
        "Bau einen kleinen Roboter, verkable die Motoren und programmiere ihn, einer Linie "
        "zu folgen.",
    ),
    "stop-motion": (
        "Stop-motion films", "Films en stop-motion", "Stop-Motion-Filme",
        "Model clay characters, build a set and shoot a short film frame by frame.",
        "Modèle des personnages en pâte, construis un décor et tourne un court film image "
        "par image.",
        "Knete Figuren, bau eine Kulisse und dreh einen kurzen Film Bild für Bild.",
    ),
    "light-cards": (
        "Cards that light up", "Cartes lumineuses", "Leuchtende Karten",
        "Paper circuits with copper tape, LEDs and a coin battery.",
        "Circuits en papier avec ruban de cuivre, LED et pile bouton.",
        "Papierschaltungen mit Kupferband, LEDs und Knopfzelle.",
    ),
    "marble-run": (
        "Build a marble run", "Construis un circuit à billes", "Bau eine Murmelbahn",
        "Design ramps and loops, cut them with the laser and test them with marbles.",
        "Dessine des rampes et des boucles, découpe-les au laser et teste-les avec des billes.",
        "Entwirf Rampen und Loopings, schneide sie mit dem Laser und teste sie mit Murmeln.",
    ),
    "3d-creatures": (
        "3D-printed creatures", "Créatures imprimées en 3D", "Kreaturen aus dem 3D-Drucker",
        "Sculpt a creature on the tablet and watch the printer build it layer by layer.",
        "Sculpte une créature sur la tablette et regarde l'imprimante la construire couche "
        "par couche.",
        "Modelliere eine Kreatur am Tablet und sieh zu, wie der Drucker sie Schicht für "
        "Schicht baut.",
    ),
    "music-makers": (
        "Electronic music makers", "Fabrique ta musique électronique",
        "Elektronische Musik selbst gemacht",
        "Turn fruit, foil and pencil lines into a keyboard and compose a tune.",
        "Transforme des fruits, du papier alu et des traits de crayon en clavier et compose "
        "un air.",
        "Verwandle Obst, Alufolie und Bleistiftstriche in eine Tastatur und komponiere eine "
        "Melodie.",
    ),
    "woodworkers": (
        "Little woodworkers", "Petits menuisiers", "Kleine Schreiner",
        "Saw, sand and assemble a birdhouse with real tools, safely.",
        "Scier, poncer et assembler un nichoir avec de vrais outils, en sécurité.",
        "Sägen, schleifen und ein Vogelhaus mit echtem Werkzeug bauen, sicher.",
    ),
    "laser-puzzles": (
        "Laser-cut puzzles", "Puzzles découpés au laser", "Puzzles aus dem Laser",
        "Draw a picture, turn it into a puzzle and cut it from wood.",
        "Dessine une image, transforme-la en puzzle et découpe-la dans du bois.",
        "Zeichne ein Bild, mach daraus ein Puzzle und schneide es aus Holz.",
    ),
    "school-visit": (
        "School visit: discover the FabLab", "Visite scolaire : découvrir le FabLab",
        "Schulbesuch: das FabLab entdecken",
        "A morning for a class: how machines make things, then everyone makes a badge.",
        "Une matinée pour une classe : comment les machines fabriquent, puis chacun crée "
        "un badge.",
        "Ein Vormittag für eine Klasse: wie Maschinen Dinge herstellen, dann macht jedes "
        "Kind einen Button.",
    ),
    "drones": (
        "Build and fly a drone", "Construis et pilote un drone", "Drohne bauen und fliegen",
        "Solder a frame kit, set up the flight controller and fly in the hall.",
        "Soude un kit de châssis, configure le contrôleur de vol et vole dans la halle.",
        "Löte einen Rahmenbausatz, richte den Flugcontroller ein und flieg in der Halle.",
    ),
    "game-controllers": (
        "Make your own game controller", "Fabrique ta manette de jeu",
        "Bau deinen eigenen Game-Controller",
        "Design a case, print it and wire arcade buttons to a microcontroller.",
        "Dessine un boîtier, imprime-le et câble des boutons d'arcade sur un microcontrôleur.",
        "Entwirf ein Gehäuse, druck es und verkable Arcade-Knöpfe mit einem Mikrocontroller.",
    ),
    "lamp": (
        "Design a laser-cut lamp", "Concevez une lampe découpée au laser",
        "Gestalten Sie eine Lampe aus dem Laser",
        "An evening to design, cut and assemble a lamp of plywood and paper.",
        "Une soirée pour concevoir, découper et assembler une lampe en contreplaqué et papier.",
        "Ein Abend, um eine Lampe aus Sperrholz und Papier zu entwerfen, zu schneiden und "
        "zusammenzubauen.",
    ),
    "repair": (
        "Repair café", "Repair café", "Repair Café",
        "Bring a broken object: volunteers and the FabLab's tools help you fix it.",
        "Apportez un objet cassé : des bénévoles et les outils du FabLab vous aident à le "
        "réparer.",
        "Bringen Sie einen kaputten Gegenstand mit: Freiwillige und die Werkzeuge des FabLabs "
        "helfen beim Reparieren.",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Slot:
    """A weekly workshop slot: one event per term, one session a week."""

    key: str
    site: str
    kind: str
    weekday: int
    start: time
    minutes: int
    capacity: int
    themes: tuple[str, ...]
    age_min: int | None = None
    age_max: int | None = None
    audience: str = "children"
    price: Decimal = Decimal("0")
    school: bool = False
    every: int = 1  # weeks


CHILD_THEMES = (
    "robots", "stop-motion", "light-cards", "marble-run", "3d-creatures", "music-makers",
    "laser-puzzles",
)  # fmt: skip

DEMO_SLOTS = (
    Slot("esch-wed", "esch", "children_workshop", 2, time(14), 120, 12, ("robots",), 6, 12),
    Slot("esch-sat", "esch", "children_workshop", 5, time(10), 120, 12, ("3d-creatures",), 7, 11),
    Slot("diff-sat", "differdange", "children_workshop", 5, time(14), 150, 10, ("woodworkers",),
         8, 12, price=Decimal("5")),
    Slot("esch-school-tue", "esch", "children_workshop", 1, time(8, 30), 150, 25,
         ("school-visit",), 6, 12, audience="schools", school=True),
    Slot("diff-school-thu", "differdange", "children_workshop", 3, time(8, 30), 150, 25,
         ("school-visit",), 6, 12, audience="schools", school=True),
    Slot("diff-teen-fri", "differdange", "teen_workshop", 4, time(17), 120, 8, ("drones",),
         12, 16, audience="teens", price=Decimal("10")),
    Slot("esch-adult-thu", "esch", "public_workshop", 3, time(18, 30), 150, 10, ("lamp",),
         audience="adults", price=Decimal("25"), every=2),
)  # fmt: skip

LARGE_SLOTS = (
    Slot("esch-wed-a", "esch", "children_workshop", 2, time(14), 120, 12, CHILD_THEMES, 6, 9),
    Slot("esch-wed-b", "esch", "children_workshop", 2, time(16, 30), 120, 12, CHILD_THEMES,
         9, 12),
    Slot("esch-sat-a", "esch", "children_workshop", 5, time(10), 120, 14, CHILD_THEMES, 6, 12),
    Slot("esch-sat-b", "esch", "children_workshop", 5, time(14), 120, 14, CHILD_THEMES, 6, 9),
    Slot("esch-mon", "esch", "children_workshop", 0, time(16, 30), 90, 10, CHILD_THEMES, 6, 8),
    Slot("diff-wed", "differdange", "children_workshop", 2, time(14), 150, 10,
         ("woodworkers", "marble-run", "robots"), 7, 10, price=Decimal("5")),
    Slot("diff-fri", "differdange", "children_workshop", 4, time(16, 30), 90, 10,
         ("light-cards", "stop-motion", "music-makers"), 6, 9, price=Decimal("5")),
    Slot("diff-sat-a", "differdange", "children_workshop", 5, time(10), 150, 10,
         ("woodworkers", "laser-puzzles", "3d-creatures"), 6, 10, price=Decimal("5")),
    Slot("diff-sat-b", "differdange", "children_workshop", 5, time(14), 150, 10,
         ("woodworkers", "light-cards", "robots"), 9, 12, price=Decimal("5")),
    Slot("esch-fri", "esch", "children_workshop", 4, time(16), 120, 12, CHILD_THEMES, 6, 12),
    Slot("esch-school-tue", "esch", "children_workshop", 1, time(8, 30), 150, 25,
         ("school-visit",), 6, 12, audience="schools", school=True),
    Slot("esch-school-thu", "esch", "children_workshop", 3, time(8, 30), 150, 25,
         ("school-visit",), 6, 12, audience="schools", school=True),
    Slot("diff-school-mon", "differdange", "children_workshop", 0, time(8, 30), 150, 25,
         ("school-visit",), 6, 12, audience="schools", school=True),
    Slot("diff-school-thu", "differdange", "children_workshop", 3, time(8, 30), 150, 25,
         ("school-visit",), 6, 12, audience="schools", school=True),
    Slot("diff-teen-fri", "differdange", "teen_workshop", 4, time(17), 120, 8,
         ("drones", "game-controllers"), 12, 16, audience="teens", price=Decimal("10")),
    Slot("diff-teen-sat", "differdange", "teen_workshop", 5, time(10), 150, 8,
         ("game-controllers", "drones"), 12, 16, audience="teens", price=Decimal("10")),
    Slot("esch-teen-wed", "esch", "teen_workshop", 2, time(18), 120, 8,
         ("game-controllers", "drones"), 12, 16, audience="teens", price=Decimal("10")),
    Slot("esch-adult-thu", "esch", "public_workshop", 3, time(18, 30), 150, 10,
         ("lamp", "repair"), audience="adults", price=Decimal("25")),
    Slot("diff-adult-tue", "differdange", "public_workshop", 1, time(18, 30), 150, 10,
         ("repair", "lamp"), audience="adults", price=Decimal("20")),
)  # fmt: skip

# Where the families live: mostly the south, around the two FabLabs.
COMMUNE_WEIGHTS = {
    "esch-sur-alzette": 16, "differdange": 12, "sanem": 7, "schifflange": 6, "dudelange": 6,
    "petange": 6, "kaerjeng": 4, "mondercange": 4, "bettembourg": 4, "kayl": 3, "rumelange": 2,
    "luxembourg": 6, "leudelange": 1, "reckange-sur-mess": 1, "strassen": 1, "hesperange": 1,
}  # fmt: skip
OTHER_COMMUNE_WEIGHT = 0.15

# Schools whose classes visit: (name, commune slug).
SCHOOLS = (
    ("École fondamentale Brill", "esch-sur-alzette"),
    ("École fondamentale Dellhéicht", "esch-sur-alzette"),
    ("École fondamentale Lallange", "esch-sur-alzette"),
    ("École fondamentale Wobrecken", "esch-sur-alzette"),
    ("École fondamentale Fousbann", "differdange"),
    ("École fondamentale Oberkorn", "differdange"),
    ("École fondamentale Niederkorn", "differdange"),
    ("École fondamentale Belvaux", "sanem"),
    ("École fondamentale Soleuvre", "sanem"),
    ("École fondamentale Schifflange Nord", "schifflange"),
    ("École fondamentale Dudelange Lenkeschléi", "dudelange"),
    ("École fondamentale Pétange Centre", "petange"),
    ("École fondamentale Rodange", "petange"),
    ("École fondamentale Bascharage", "kaerjeng"),
    ("École fondamentale Mondercange", "mondercange"),
    ("École fondamentale Bettembourg", "bettembourg"),
    ("École fondamentale Kayl", "kayl"),
    ("École fondamentale Rumelange", "rumelange"),
    ("École fondamentale Gasperich", "luxembourg"),
    ("École fondamentale Bonnevoie", "luxembourg"),
)
GRADES = ("C2.1", "C2.2", "C3.1", "C3.2", "C4.1", "C4.2")

CHILD_NAMES = (
    "Lea", "Noah", "Emma", "Luca", "Mia", "Gabriel", "Chloé", "Liam", "Zoé", "Ben", "Lara",
    "Tom", "Sofia", "Max", "Alice", "Leo", "Eva", "Rafael", "Louise", "Elias", "Maëlle",
    "Diego", "Inês", "Jonas", "Nora", "Mateo", "Julie", "Finn", "Amira", "Tiago", "Lina",
    "Yanis", "Clara", "Adam", "Léonie", "Miguel", "Hannah", "Sami", "Anna", "Luis",
)  # fmt: skip
PICKUP_NOTES = (
    "Grandmother (Marie), +352 621 555 101",
    "Older brother, 17, with his ID card",
    "Neighbour Mrs Schmit, +352 691 555 202",
    "",
    "",
)
CHILD_NOTES = ("", "", "", "Allergic to nuts.", "Wears glasses; a bit shy at first.",
               "Asthma: inhaler in the backpack.")  # fmt: skip
