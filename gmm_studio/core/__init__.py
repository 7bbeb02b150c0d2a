"""The EM engine: numpy and scipy only, never Qt."""
