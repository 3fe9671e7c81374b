"""The judge revision: changes with the code or prompts that decide labels, not with their prose."""

from __future__ import annotations

from biaskit.judges.revision import code_tokens, judge_revision

BEFORE = '''"""Module doc."""

# a comment
def decide(x):
    """Say what it does."""
    if x:
        return "S"  # stereotype
    return "CS"
'''


def test_comments_docstrings_and_spacing_do_not_count() -> None:
    reworded = BEFORE.replace("Module doc.", "Another explanation.").replace("# a comment", "# another").replace(
        "Say what it does.", "Says it differently.\n\n    Over lines.").replace("return \"CS\"", "return  \"CS\"")
    assert code_tokens(reworded) == code_tokens(BEFORE)


def test_code_and_blocks_count() -> None:
    assert code_tokens(BEFORE.replace('return "S"', 'return "D"')) != code_tokens(BEFORE)
    dedented = BEFORE.replace('        return "S"  # stereotype\n    return "CS"', '        return "S"\n        return "CS"')
    assert code_tokens(dedented) != code_tokens(BEFORE)


def test_revision_is_a_short_stable_hash() -> None:
    assert judge_revision() == judge_revision() and len(judge_revision()) == 12
