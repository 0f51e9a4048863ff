"""Places named in the sources' origin fields (Essen's ``O:``: "China, Shaanxi, Zizhou"), in
English for captions, filters and the lexical channel; the original spelling is kept beside."""

from __future__ import annotations

import re

# Place words in Essen's O: field -> English; continents and broad regions are dropped.
PLACE_WORDS: dict[str, str] = {
    "deutschland": "Germany", "lothringen": "Lorraine", "luxemburg": "Luxembourg",
    "schlesien": "Silesia", "niederrhein": "Lower Rhine", "westfalen": "Westphalia",
    "schwaben": "Swabia", "franken": "Franconia", "untermainfranken": "Lower Main Franconia",
    "thueringen": "Thuringia", "oesterreich": "Austria", "schweiz": "Switzerland",
    "niederlande": "Netherlands", "polen": "Poland", "ungarn": "Hungary",
    "jugoslawien": "Yugoslavia", "frankreich": "France", "elsass": "Alsace", "bayern": "Bavaria",
    "sachsen": "Saxony", "boehmen": "Bohemia", "hessen": "Hesse", "irland": "Ireland",
    "rheinland": "Rhineland", "rhein": "Rhine", "pfalz": "Palatinate",
    "nord - deutschland": "Northern Germany", "russland": "Russia", "rumaenien": "Romania",
    "tschechoslowakei": "Czechoslovakia", "daenemark": "Denmark", "schweden": "Sweden",
    "italien": "Italy", "nordwesten": "Northwest", "deutschland (brd)": "Germany",
    "deutschland (ddr)": "Germany", "norddeutschland": "Northern Germany",
    "udssr": "Soviet Union", "pommern": "Pomerania", "tirol": "Tyrol",
    "siebenbuergen": "Transylvania", "steiermark": "Styria", "wuerttemberg": "Württemberg",
    "ober - franken": "Upper Franconia", "rheinpfalz": "Rhenish Palatinate",
    "flaemisch": "Flemish", "kuhlaendchen": "Kuhländchen",
    # added from the inventory (docs/label_inventory.json)
    "mexiko": "Mexico", "amerika": "America", "mittelamerika": "Central America",
    "nord - amerika": "North America", "usa": "USA", "england": "England",
    "schottland": "Scotland", "norwegen": "Norway", "kroatien": "Croatia",
    "slowakei": "Slovakia", "slowenien": "Slovenia", "ukraine": "Ukraine",
    "galizien": "Galicia", "bessarabien": "Bessarabia", "bukowina": "Bukovina",
    "banat": "Banat", "batschka": "Bačka", "maehren": "Moravia", "krain": "Carniola",
    "sudetenland": "Sudetenland", "gottschee": "Gottschee (Kočevje)", "zips": "Spiš",
    "flandern": "Flanders", "west - flandern": "West Flanders", "brabant": "Brabant",
    "limburg": "Limburg", "preussen": "Prussia", "ostpreussen": "East Prussia",
    "westpreussen": "West Prussia", "posen": "Poznań", "danzig": "Gdańsk",
    "breslau": "Wrocław", "liegnitz": "Legnica", "glogau": "Głogów", "oppeln": "Opole",
    "oberschlesien": "Upper Silesia", "glatz": "Kłodzko", "grafschaft glatz": "County of Kladsko",
    "koenigsberg": "Königsberg", "schleswig - holstein": "Schleswig-Holstein",
    "schleswig holstein": "Schleswig-Holstein", "schleswig": "Schleswig",
    "niedersachsen": "Lower Saxony", "provinz sachsen": "Province of Saxony",
    "sachsen - anhalt": "Saxony-Anhalt", "nordrhein - westfalen": "North Rhine-Westphalia",
    "rheinland - pfalz": "Rhineland-Palatinate", "rheinprovinz": "Rhine Province",
    "hessen - nassau": "Hesse-Nassau", "ober - hessen": "Upper Hesse",
    "oberhessen": "Upper Hesse", "nieder - hessen": "Lower Hesse", "kurhessen": "Electoral Hesse",
    "mittel - franken": "Middle Franconia", "oberfranken": "Upper Franconia",
    "unter - franken": "Lower Franconia", "unterfranken": "Lower Franconia",
    "niederbayern": "Lower Bavaria", "oberbayern": "Upper Bavaria",
    "ober - bayern": "Upper Bavaria", "nord - bayern": "Northern Bavaria",
    "nordbayern": "Northern Bavaria", "sueddeutschland": "Southern Germany",
    "sued - deutschland": "Southern Germany", "niederoesterreich": "Lower Austria",
    "mittelrhein": "Middle Rhine", "oberrhein": "Upper Rhine", "lausitz": "Lusatia",
    "niederlausitz": "Lower Lusatia", "oberlausitz": "Upper Lusatia",
    "herzogtum berg": "Duchy of Berg", "bergisches land": "Bergisches Land",
    "erzgebirge": "Ore Mountains", "schwarzwald": "Black Forest", "boehmerwald": "Bohemian Forest",
    "hunsrueck": "Hunsrück", "nordsee": "North Sea", "mosel": "Moselle",
    "sued - tirol": "South Tyrol", "suedtirol": "South Tyrol", "kanton bern": "Canton of Bern",
    "graubuenden": "Grisons", "oberwallis": "Upper Valais", "aargau": "Aargau",
    "franzoesische schweiz": "French Switzerland", "friesland": "Frisia",
    "ost - friesland": "East Frisia", "wolga": "Volga", "wolga - kolonie": "Volga colony",
    "wolgakolonie": "Volga colony", "wolga - gebiet": "Volga region",
    "sorbisch": "Sorbian", "niederdeutsch": "Low German", "koeln": "Cologne",
    "muenster": "Münster", "nuernberg": "Nuremberg", "wuerzburg": "Würzburg",
    "hannover": "Hanover", "frankfurt a.m.": "Frankfurt am Main", "vorderer orient": "Near East",
    "shanbei": "Northern Shaanxi", "dongbei": "Northeast China",
    "insel ruegen": "Rügen island", "helgoland": "Heligoland", "foehr": "Föhr",
}  # fmt: skip
# What people call someone or something from a place ("a Swiss folk song").
PLACE_ADJECTIVES: dict[str, str] = {
    "Germany": "German", "Northern Germany": "North German", "Austria": "Austrian",
    "Switzerland": "Swiss", "Hungary": "Hungarian", "Poland": "Polish", "France": "French",
    "Netherlands": "Dutch", "Luxembourg": "Luxembourgish", "Lorraine": "Lorrainian",
    "Alsace": "Alsatian", "Silesia": "Silesian", "Westphalia": "Westphalian",
    "Swabia": "Swabian", "Franconia": "Franconian", "Thuringia": "Thuringian",
    "Bavaria": "Bavarian", "Saxony": "Saxon", "Bohemia": "Bohemian", "Hesse": "Hessian",
    "Rhineland": "Rhenish", "Pomerania": "Pomeranian", "Tyrol": "Tyrolean",
    "Styria": "Styrian", "Transylvania": "Transylvanian", "Yugoslavia": "Yugoslav",
    "Romania": "Romanian", "Russia": "Russian", "Soviet Union": "Soviet", "Denmark": "Danish",
    "Sweden": "Swedish", "Italy": "Italian", "Ireland": "Irish", "Czechoslovakia": "Czech",
    "China": "Chinese", "Taiwan": "Taiwanese", "Brandenburg": "Brandenburgian",
    "Mexico": "Mexican", "America": "American", "USA": "American", "England": "English",
    "Scotland": "Scottish", "Norway": "Norwegian", "Croatia": "Croatian",
    "Slovakia": "Slovak", "Slovenia": "Slovenian", "Ukraine": "Ukrainian",
    "Moravia": "Moravian", "Prussia": "Prussian", "East Prussia": "East Prussian",
    "Flanders": "Flemish", "Frisia": "Frisian", "East Frisia": "East Frisian",
    "Lusatia": "Lusatian", "Southern Germany": "South German", "South Tyrol": "South Tyrolean",
    "Lower Saxony": "Lower Saxon", "Galicia": "Galician",
}  # fmt: skip
# Names English writes as the source does (Chinese provinces in pinyin, German states):
# counted as covered by the inventory, translated by nothing.
PLACES_AS_WRITTEN = frozenset(
    {"china", "taiwan", "brandenburg", "berlin", "baden", "nassau", "hunan", "hubei",
     "jiangsu", "shanxi", "anhui", "shaanxi", "jiangxi", "sichuan", "hebei", "shandong",
     "yunnan", "guangdong", "henan", "liaoning", "fujian", "zhejiang", "ningxia", "gansu",
     "heilongjiang", "guangxi", "qinghai", "chongqing", "guizhou", "jilin", "hainan",
     "mecklenburg", "saarland", "oldenburg", "burgenland", "salzburg", "uckermark",
     "altmark", "vogtland", "harz", "eifel", "taunus", "westerwald", "odenwald", "spessart"}
)  # fmt: skip
DROPPED_PLACES = frozenset(
    {"europa", "mitteleuropa", "osteuropa", "suedosteuropa", "westeuropa", "nordeuropa"}
    | {"suedeuropa", "asien", "ostasien"}
)


def place_words(origin: str) -> list[str]:
    """The places of an ``O:`` field, every level: "China, Shaanxi, Zizhou" -> three."""
    return [" ".join(p.split()) for p in re.split(r"[,;/]", origin or "") if p.strip()]
