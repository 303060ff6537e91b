"""Word lists that answer extraction uses to recognise names, places, numbers and reporting verbs."""

from __future__ import annotations

from .tokens import stem

HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord", "lady", "prof", "professor", "president",
              "king", "queen", "prince", "princess", "pope", "saint", "senator", "governor", "general", "gen",
              "rev", "captain", "capt", "chancellor", "premier", "minister", "secretary", "judge", "justice"}
ROLES = {"spokesman", "spokeswoman", "spokesperson", "counterpart", "minister", "secretary", "president", "leader",
         "chief", "director", "chairman", "chairwoman", "head", "founder", "ceo", "coach", "captain", "author",
         "inventor", "governor", "mayor", "ambassador", "envoy", "king", "queen", "prime", "general", "commander",
         "manager", "editor", "professor", "son", "daughter", "wife", "husband", "brother", "sister"}
REPORTING = {"said", "says", "say", "told", "warned", "warns", "added", "asked", "announced", "claimed", "stated",
             "threatened", "urged", "argued", "insisted", "wrote", "explained", "noted", "declared", "according"}
SPEECH = {stem(w) for w in REPORTING | {"threaten", "warn", "say", "claim", "announce", "state", "urge", "argue",
                                        "insist", "declare", "criticise", "criticize", "demand", "promise", "vow",
                                        "deny", "accuse", "tell", "suggest", "propose", "call", "describe", "predict"}}
LOCATIVE = {"in", "at", "near", "from", "to", "across", "outside", "inside", "throughout", "into", "around", "within"}
CONNECTORS = {"al", "el", "de", "di", "da", "del", "della", "van", "von", "der", "bin", "ibn", "of", "le", "la", "du"}
DETERMINERS = {"a", "an", "the"}
NOUN_CONTEXT = DETERMINERS | {"of", "in", "for", "with", "by", "from", "on", "his", "her", "its", "their", "our", "as",
                              "this", "these", "those", "that", "some", "many", "several", "each", "every", "any"}
NOT_PHRASE = {"including", "according", "following", "despite", "regarding", "like", "via", "per", "among", "amid",
              "upon", "toward", "towards", "whether", "also", "however", "although", "though", "yet", "already",
              "still", "even", "instead", "rather", "almost", "later", "earlier", "ago", "away", "back"}
NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
                "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
                "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand",
                "million", "billion", "trillion", "dozen", "dozens", "hundreds", "thousands", "millions", "half"}
SCALES = {"million", "billion", "trillion", "thousand", "hundred", "percent", "%", "per"}
