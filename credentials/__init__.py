"""Musette's credentials layer: identities, credential models, proofs, verification and
offline transport. It imports nothing else of Musette's."""
