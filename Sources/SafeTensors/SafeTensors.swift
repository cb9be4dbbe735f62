// The safetensors format (being written).
