"""Classic models with published state counts, used to calibrate the explorers."""
