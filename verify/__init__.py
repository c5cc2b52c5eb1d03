"""benosc.verify: claims, checkers and verdicts."""
