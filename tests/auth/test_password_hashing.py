from __future__ import annotations

import subprocess
import sys

import argon2

from pejling.core.auth.passwords import production_hasher


def test_shipped_password_hasher_is_argon2id_rfc9106_low_memory() -> None:
    encoded = production_hasher().hash("a reasonably long password")
    assert encoded.startswith("$argon2id$")
    assert argon2.extract_parameters(encoded) == argon2.profiles.RFC_9106_LOW_MEMORY


def test_the_app_hashes_with_the_production_hasher_outside_tests() -> None:
    code = ("from pejling.core.auth import passwords; import argon2; "
            "print(argon2.extract_parameters(passwords.hash_password('a reasonably long password')).memory_cost)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(out) == argon2.profiles.RFC_9106_LOW_MEMORY.memory_cost
