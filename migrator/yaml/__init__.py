"""Reading YAML with its positions and style, and editing it surgically."""
