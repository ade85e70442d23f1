"""``GET /ai/generate-image/suggest-tags`` of the stand-in (docs/novelai-2026.md §4.8, the English shape).

A built-in list of about 300 Danbooru tags with counts of the order Danbooru shows, so autocomplete in
tests and the demo looks like the real thing: prefix match on the whole tag or on any of its words
(``hair`` finds ``long hair``), most used first, at most ``LIMIT`` tags. The furry model gets e621-style
tags as well. NovelAI caps the count it reports at 10,000 (§4.8); the order still follows the real use.
The stand-in's faults (``slow_seconds``, forced statuses, drops) apply here as on every NovelAI route.
"""

from __future__ import annotations

from typing import Any

# What NovelAI reports at most as a tag's count (§4.8), and how many tags one answer holds.
REPORTED_COUNT_CAP = 10_000
LIMIT = 10

_GENERAL = """
1girl 6100000|solo 5100000|highres 4900000|long hair 4300000|breasts 3400000|looking at viewer 3300000|
smile 3100000|blush 3000000|open mouth 2600000|short hair 2200000|blue eyes 1700000|simple background 1600000|
large breasts 1400000|shirt 1400000|absurdres 1500000|skirt 1300000|multiple girls 1300000|long sleeves 1200000|
bangs 1200000|hair ornament 1200000|thighhighs 1100000|brown hair 1100000|black hair 1100000|
red eyes 1100000|gloves 1000000|white background 1000000|1boy 1000000|dress 980000|holding 950000|
hat 930000|bow 900000|navel 880000|2girls 870000|closed mouth 860000|cleavage 850000|jewelry 830000|
blonde hair 820000|very long hair 800000|animal ears 790000|medium breasts 780000|standing 770000|
hair between eyes 760000|underwear 750000|sitting 740000|brown eyes 730000|green eyes 720000|
school uniform 700000|nipples 690000|purple eyes 680000|jacket 670000|tail 660000|collarbone 650000|
upper body 640000|full body 600000|white shirt 590000|ribbon 580000|yellow eyes 570000|weapon 560000|
twintails 550000|ponytail 540000|:d 530000|bare shoulders 520000|pantyhose 500000|hair bow 490000|
male focus 480000|sidelocks 470000|one eye closed 460000|closed eyes 455000|monochrome 450000|
outdoors 440000|sky 430000|cowboy shot 420000|day 410000|silver hair 400000|braid 395000|
pink hair 390000|purple hair 385000|blue hair 380000|flower 375000|frills 370000|red hair 365000|
heart 360000|sweat 355000|ass 350000|teeth 345000|tongue 340000|short sleeves 335000|
black gloves 330000|white hair 325000|swimsuit 320000|shoes 315000|boots 310000|wings 305000|
green hair 300000|cloud 295000|small breasts 290000|virtual youtuber 285000|greyscale 280000|
hair ribbon 275000|sleeveless 270000|belt 265000|holding weapon 260000|black thighhighs 255000|
multicolored hair 250000|indoors 245000|necktie 240000|parted lips 235000|barefoot 230000|
grey hair 225000|horns 220000|hairband 215000|choker 210000|food 205000|pleated skirt 200000|
tears 198000|open clothes 196000|black skirt 194000|fang 192000|earrings 190000|glasses 188000|
shorts 186000|sword 184000|serafuku 182000|midriff 180000|orange hair 178000|hood 176000|
detached sleeves 174000|from behind 172000|signature 170000|wide sleeves 168000|lying 166000|
puffy sleeves 164000|kimono 162000|water 160000|dated 158000|night 156000|star (symbol) 154000|
tree 152000|official art 150000|looking back 148000|hand up 146000|scarf 144000|cat ears 142000|
fox ears 140000|black dress 138000|white dress 136000|red bow 134000|bikini 132000|profile 130000|
bag 128000|socks 126000|blue sky 124000|hairclip 122000|fingernails 120000|nail polish 118000|
streaked hair 116000|two-tone hair 114000|gradient hair 112000|ahoge 110000|hair flower 108000|
grin 106000|chibi 104000|looking at another 102000|signature 100000|artist name 98000|
smile 97000|heterochromia 96000|cat 95000|maid 94000|maid headdress 93000|apron 92000|
armor 91000|cape 90000|uniform 89000|military 88000|sailor collar 87000|sweater 86000|
coat 85000|hoodie 84000|jeans 83000|pants 82000|leotard 81000|witch hat 80000|
see-through 79000|wet 78000|rain 77000|snow 76000|sunset 75000|beach 74000|ocean 73000|
city 72000|building 71000|window 70000|bed 69000|chair 68000|table 67000|book 66000|
cup 65000|umbrella 64000|petals 63000|cherry blossoms 62000|leaf 61000|grass 60000|
scenery 59000|landscape 30000|mountain 29000|forest 28000|river 27000|moon 26000|
starry sky 25000|fire 24000|smoke 23000|light particles 22000|sparkle 21000|lens flare 20000|
depth of field 19500|blurry background 19000|bokeh 18500|backlighting 18000|sunlight 17500|
dutch angle 17000|from above 16500|from below 16000|close-up 15500|portrait 15000|
wide shot 14500|dynamic pose 14000|action 13500|running 13000|jumping 12500|dancing 12000|
singing 11500|reading 11000|eating 10500|sleeping 10000|crying 9800|angry 9600|surprised 9400|
embarrassed 9200|happy 9000|sad 8800|expressionless 8600|serious 8400|smug 8200|
gun 8000|rifle 7800|katana 7600|staff 7400|shield 7200|bow (weapon) 7000|magic 6800|
robot 6600|mecha 6400|science fiction 6200|fantasy 6000|cyberpunk 5800|steampunk 5600|
traditional media 5400|watercolor (medium) 5200|sketch 5000|lineart 4800|pixel art 4600|
comic 4400|4koma 4200|english text 4000|speech bubble 3800|no humans 3700|animal 3600|dog 3500|
bird 3400|fish 3300|horse 3200|dragon 3100|
"""

_CHARACTERS = """
hatsune miku 140000|hakurei reimu 95000|kirisame marisa 85000|remilia scarlet 60000|flandre scarlet 58000|
izayoi sakuya 56000|saber (fate) 40000|artoria pendragon (fate) 52000|kaname madoka 20000|
akemi homura 22000|asuka langley soryu 24000|ayanami rei 23000|gawr gura 21000|houshou marine 19000|
hoshimachi suisei 15000|frieren 12000|lumine (genshin impact) 16000|raiden shogun 18000|
rem (re:zero) 19000|emilia (re:zero) 16000|megumin 14000|zero two (darling in the franxx) 13000|
"""

_COPYRIGHTS = """
touhou 900000|original 800000|kantai collection 480000|fate (series) 350000|idolmaster 340000|
pokemon 330000|hololive 300000|genshin impact 250000|blue archive 220000|azur lane 200000|
fire emblem 150000|arknights 140000|honkai: star rail 90000|vocaloid 180000|love live! 120000|
"""

_META = """
masterpiece 0|best quality 0|very aesthetic 0|amazing quality 0|absurdres 1500000|highres 4900000|
rating:general 0|rating:sensitive 0|year 2024 0|year 2023 0|no text 0|
"""

_FURRY = """
anthro 2500000|fur 1800000|furry 1500000|canine 1200000|mammal 3000000|feral 700000|canid 1100000|
felid 600000|fox 500000|wolf 450000|dragon 400000|scalie 380000|avian 300000|tail 1400000|
fluffy 350000|paws 420000|pawpads 250000|muzzle (object) 60000|digitigrade 200000|
"""


def _parse(block: str) -> list[tuple[str, int]]:
    pairs = []
    for item in block.replace("\n", "").split("|"):
        item = item.strip()
        if item:
            tag, _, count = item.rpartition(" ")
            pairs.append((tag, int(count)))
    return pairs


def _table(*blocks: str) -> tuple[tuple[str, int], ...]:
    """The blocks as one list, each tag once (its highest count), most used first; meta tags the
    website suggests with no count (quality tags) get a large stand-in count so they show."""
    counts: dict[str, int] = {}
    for block in blocks:
        for tag, count in _parse(block):
            counts[tag] = max(counts.get(tag, 0), count or 900_000)
    return tuple(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


ANIME_TAGS = _table(_GENERAL, _CHARACTERS, _COPYRIGHTS, _META)
FURRY_TAGS = _table(_FURRY, _GENERAL, _META)


def tags_for(model: str) -> tuple[tuple[str, int], ...]:
    """The furry model (V3's furry id, or any id naming furry) has its own vocabulary first."""
    return FURRY_TAGS if "furry" in model else ANIME_TAGS


def suggest_tags(prompt: str, model: str = "") -> dict[str, Any]:
    """Tags starting with what was typed, then tags one of whose later words does, most used first in
    each; an exact match is the most confident. Nothing for an empty prompt, as NovelAI answers."""
    typed = " ".join(prompt.replace("_", " ").lower().split())
    if not typed:
        return {"tags": []}
    whole = [(tag, count) for tag, count in tags_for(model) if tag.startswith(typed)]
    words = [(tag, count) for tag, count in tags_for(model)
             if not tag.startswith(typed) and any(word.startswith(typed) for word in tag.split(" ")[1:])]
    found = [{"tag": tag, "count": min(count, REPORTED_COUNT_CAP), "confidence": _confidence(typed, tag, start)}
             for (tag, count), start in [*((pair, True) for pair in whole), *((pair, False) for pair in words)]]
    return {"tags": found[:LIMIT]}


def _confidence(typed: str, tag: str, at_start: bool) -> float:
    if tag == typed:
        return 1.0
    return round(min(0.95, len(typed) / len(tag)) * (1.0 if at_start else 0.6), 3)
