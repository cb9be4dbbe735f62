// The Sampling module (being written).
