"""Input formats, one module each; a module never imports a simulator at import time."""
