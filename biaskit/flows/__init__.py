"""Suite flows: the order of stages (generate, judge, score, attack) for each suite."""
