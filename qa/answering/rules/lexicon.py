"""Word lists that answer extraction uses to recognise names, places, numbers and reporting verbs."""

from __future__ import annotations

from qa.text.tokens import stem

HONORIFICS = frozenset(
    """
    capt captain chancellor dame dr gen general governor judge justice king lady lord minister miss mr mrs ms
    pope premier president prince princess prof professor queen rev saint secretary senator sir
    """.split()
)
ROLES = frozenset(
    """
    ambassador author brother captain ceo chairman chairwoman chief coach commander counterpart daughter
    director editor envoy founder general governor head husband inventor king leader manager mayor minister
    president prime professor queen secretary sister son spokesman spokesperson spokeswoman wife
    """.split()
)
REPORTING = frozenset(
    """
    according added announced argued asked claimed declared explained insisted noted said say says stated
    threatened told urged warned warns wrote
    """.split()
)
_SPEECH_VERBS = frozenset(
    """
    threaten warn say claim announce state urge argue insist declare criticise criticize demand promise vow deny
    accuse tell suggest propose call describe predict
    """.split()
)
SPEECH = frozenset(stem(w) for w in REPORTING | _SPEECH_VERBS)
LOCATIVE = frozenset(
    """
    across around at from in inside into near outside throughout to within
    """.split()
)
CONNECTORS = frozenset(
    """
    al bin da de del della der di du el ibn la le of van von
    """.split()
)
DETERMINERS = frozenset({"a", "an", "the"})
NOUN_CONTEXT = DETERMINERS | frozenset(
    """
    any as by each every for from her his in its many of on our several some that their these this those with
    """.split()
)
NOT_PHRASE = frozenset(
    """
    according ago almost already also although amid among away back despite earlier even following however
    including instead later like per rather regarding still though toward towards upon via whether yet
    """.split()
)
NUMBER_WORDS = frozenset(
    """
    billion dozen dozens eight eighteen eighty eleven fifteen fifty five forty four fourteen half hundred
    hundreds million millions nine nineteen ninety one seven seventeen seventy six sixteen sixty ten thirteen
    thirty thousand thousands three trillion twelve twenty two
    """.split()
)
SCALES = frozenset(
    """
    % billion hundred million per percent thousand trillion
    """.split()
)
NOT_PERSON = frozenset(
    """
    act agency airport army association award awards bank bowl bridge center centre church city club college
    committee company corporation council court cup department empire federation foundation group hall hospital
    house institute island islands kingdom lake league ministry mountain museum ocean office park party prize
    program programme republic river school sea society state station street tower treaty union university
    valley war
    """.split()
)
