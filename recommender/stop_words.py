"""English stop words for the lexical channel (``recommender.lexical``).

scikit-learn's ``ENGLISH_STOP_WORDS`` (318 words, scikit-learn 1.9.1, BSD licence; from the
Glasgow Information Retrieval Group), copied: importing it from scikit-learn loads sklearn and
scipy.stats, which cost as much as importing torch on every cold ``cantus search``.
``tests/test_stop_words.py`` checks that the copy still equals scikit-learn's list.
"""

from __future__ import annotations

ENGLISH_STOP_WORDS = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst amoungst amount an and another any anyhow anyone anything
    anyway anywhere are around as at back be became because become becomes becoming been before
    beforehand behind being below beside besides between beyond bill both bottom but by call can
    cannot cant co con could couldnt cry de describe detail do done down due during each eg eight
    either eleven else elsewhere empty enough etc even ever every everyone everything everywhere
    except few fifteen fifty fill find fire first five for former formerly forty found four from
    front full further get give go had has hasnt have he hence her here hereafter hereby herein
    hereupon hers herself him himself his how however hundred i ie if in inc indeed interest into
    is it its itself keep last latter latterly least less ltd made many may me meanwhile might
    mill mine more moreover most mostly move much must my myself name namely neither never
    nevertheless next nine no nobody none noone nor not nothing now nowhere of off often on once
    one only onto or other others otherwise our ours ourselves out over own part per perhaps
    please put rather re same see seem seemed seeming seems serious several she should show side
    since sincere six sixty so some somehow someone something sometime sometimes somewhere still
    such system take ten than that the their them themselves then thence there thereafter thereby
    therefore therein thereupon these they thick thin third this those though three through
    throughout thru thus to together too top toward towards twelve twenty two un under until up
    upon us very via was we well were what whatever when whence whenever where whereafter whereas
    whereby wherein whereupon wherever whether which while whither who whoever whole whom whose
    why will with within without would yet you your yours yourself yourselves
    """.split()  # noqa: SIM905 (318 words read better as text than as a list literal)
)

# Function words of the sources' other languages (German, French, Dutch, Italian, Spanish) that
# a user types inside a name ("ranz des vaches", "Es woll uns Gott"): no topic in the title's
# language, so a query's "des" must not find a German romance. English words are left out
# ("war", "pour", "so", "die", "den", "lo", "dan[s]"), and so are Latin's "et", "qui", "que", "dei"
# ("Et incarnatus est", "qui tollis", "Agnus Dei").
_FOREIGN = """
    der das dem des ein eine einem einen einer eines und oder im ins zum zur vom von zu
    mit auf aus bei nach ueber unter fuer ist sind ich du er sie es wir ihr uns mein meine dein
    deine sein seine nicht wie wo wenn dass
    le la les une du au aux sur par avec
    het een van il gli di del della el los las
"""
FOREIGN_FUNCTION_WORDS = frozenset(_FOREIGN.split()) - ENGLISH_STOP_WORDS
