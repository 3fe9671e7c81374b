"""biaskit inside other evaluation frameworks (each an optional extra): ``inspect`` for inspect_ai."""
