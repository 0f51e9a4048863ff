"""The feast or season of the church year a chorale belongs to, in English, from its title.

Two readings, both from the Lutheran hymnals and Bach's works, not from any query set: the
hymn's own season (a hymnal files "Christ lag in Todesbanden" under Easter), and the occasion
of the work a harmonisation comes from (BWV 248, the Christmas Oratorio; BWV 244/245, the
Passions; cantatas written for one feast). A title naming neither gets nothing. The lexical
channel (``recommender.lexical``) adds the words to the title's, so "a Passion chorale for
Good Friday" finds "Herzliebster Jesu" and "Chorale BWV 244.17".
"""

from __future__ import annotations

import re

# season -> (hymn title patterns, BWV numbers of works written for it)
SEASONS: dict[str, tuple[str, tuple[int, ...]]] = {
    "Advent chorale": (
        r"nun komm,? der heiden heiland|wie soll ich dich empfangen|mit ernst,? o menschenkinder"
        r"|gottes sohn ist kommen|macht hoch die t",
        (36, 61, 62),
    ),
    "Christmas chorale, Christmas hymn": (
        r"gelobet seist du|vom himmel hoch|in dulci jubilo|lobt gott,? ihr christen"
        r"|so freudenreich|wir christenleut|christum wir sollen loben|neugeborne kindelein"
        r"|an deiner krippe|schaut,? ihr s(ü|ue)nder|brich an,? o sch(ö|oe)nes morgenlicht"
        r"|fr(ö|oe)hlich soll mein herze|puer natus|f(ü|ue)r freuden la(ß|ss)t uns springen",
        (40, 63, 64, 91, 110, 121, 122, 133, 151, 248),
    ),
    "New Year chorale": (
        r"das alte jahr vergangen|jesu,? nun sei gepreiset|helft mir gott.?s g(ü|ue)te",
        (16, 41, 171, 190),
    ),
    "Epiphany chorale": (
        r"wie sch(ö|oe)n leuchtet der morgenstern|feind herodes|die k(ö|oe)n.ge aus saba",
        (65, 123),
    ),
    "Passion chorale for Lent, Holy Week and Good Friday": (
        r"haupt voll blut|herzliebster jesu|o lamm gottes|jesu leiden,? pein und tod"
        r"|christus,? der uns selig macht|o traurigkeit|da der herr christ zu tische"
        r"|l(ä|ae)mmlein geht|o mensch,? bewein|jesu,? meines lebens leben|wenn meine s(ü|ue)nd"
        r"|o welt,? sieh hier|schmerzensmann|gro(ß|ss)er trauertag|als jesus christus in der nacht"
        r"|jesu,? deine passion|o wir armen s(ü|ue)nder",
        (244, 245),
    ),
    "Easter chorale, Easter hymn": (
        r"christ lag in todesbanden|christ ist erstanden|christus ist erstanden"
        r"|erstanden ist der heil|erschienen ist der herrliche tag|triumphieret gottes sohn"
        r"|den tod (ü|ue)berwand|jesus,? meine zuversicht",
        (4, 6, 31, 66, 67, 134, 145, 158, 249),
    ),
    "Ascension chorale": (
        r"vierzig tag.? nach ostern|nun freut euch,? gottes kinder|christi himmelfahrt"
        r"|du lebensf(ü|ue)rst",
        (11, 37, 43, 128),
    ),
    "Pentecost chorale, Whitsun hymn of the Holy Spirit": (
        r"heil.?(ig)?gen geist|heiliger geist|gott sch(ö|oe)pfer|gott vater,? sende",
        (34, 59, 68, 74, 172, 173, 174, 175, 184),
    ),
    "funeral chorale, hymn of death and dying": (
        r"christus,? der ist mein leben|valet will ich dir geben|alle menschen m(ü|ue)ssen sterben"
        r"|wenn mein st(ü|ue)ndlein|mach.?s mit mir,? gott|herzlich tut mich verlangen|welt,? ade"
        r"|es geht nunmehr zu ende|es ist genug|s(ü|ue)(ß|ss)er tod|mit fried.? und freud"
        r"|herr,? nun la(ß|ss) in friede|ach wie nichtig",
        (),
    ),
}
_RES = tuple(
    (re.compile(pattern, re.IGNORECASE), numbers, season)
    for season, (pattern, numbers) in SEASONS.items()
)
_BWV = re.compile(r"\bBWV\s*(\d+)", re.IGNORECASE)


def chorale_seasons(title: str) -> list[str]:
    """The seasons a chorale title names by its hymn or its BWV number ("Herzliebster Jesu
    (BWV 245.17)" -> the Passion), each once, in table order."""
    text = title or ""
    works = {int(n) for n in _BWV.findall(text)}
    return [s for pattern, numbers, s in _RES if pattern.search(text) or works & set(numbers)]


def feast_name(season: str) -> str:
    """The feast a ``SEASONS`` entry is named for ("Easter chorale, Easter hymn" -> "Easter")."""
    return season.split(" chorale", 1)[0]
