"""Randomness, hashes and ciphers of the application code (ASVS V6.5.3, V6.5.4, V11.2.1, V11.2.3, V11.4.1).

Every ``.py`` file of ``core/``, ``tenants/``, ``plugins/``, ``graphql/`` and ``frontend/`` is read with ``ast``:

* no security value comes from the stdlib ``random`` module (the few non-secret uses are in :data:`STDLIB_RANDOM`);
  two-step secrets come from ``os.urandom`` and ``secrets``;
* recovery codes have the documented alphabet, length and entropy;
* no MD5 anywhere, SHA-1 only where a standard dictates it (:data:`SHA1_ALLOWED`);
* no crypto library but the vetted ones (:data:`VETTED_CRYPTO`), AES only through ``cryptography``;
* every ``secrets.token_urlsafe/token_bytes/token_hex(n)`` has ``n >= 16`` unless listed in :data:`SHORT_TOKENS`.

Each allow-list is exact: an entry that no longer matches code fails the test too, so the lists cannot go stale.
"""

from __future__ import annotations

import ast
import math
import re
from functools import cache
from pathlib import Path

from pejling.core.auth import two_step

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("core", "tenants", "plugins", "graphql", "frontend")
ASVS = ROOT / "docs" / "asvs.md"

#: Modules that use the stdlib ``random`` module, and why no secret depends on it.
STDLIB_RANDOM = {
    "core/jobs/worker.py": "jitter of a failed job's retry delay (spreads retries, guards nothing)",
    "core/surveys/demo.py": "a seeded random.Random for the demo tenant's made-up answers (reproducible on purpose)",
    "core/surveys/page_data.py": "the order statements are shown to a shopper in (against order bias, not a secret)",
    "core/surveys/page_cache.py": "the same shopper order, for a page served from the process's copy (not a secret)",
}

#: (file, name) pairs naming SHA-1 (``sha1``/``SHA1``/``"sha-1"``), and the standard that requires it.
SHA1_ALLOWED = {
    ("core/auth/two_step.py", "SHA1"): "TOTP's HMAC-SHA-1 (RFC 6238 default, the one every authenticator app uses)",
}

#: The crypto libraries the code may import (top-level module names).
VETTED_CRYPTO = {"cryptography", "argon2", "joserfc", "authlib", "hmac", "hashlib", "secrets"}
#: Crypto libraries that must not be imported: our ciphers come from ``cryptography`` only.
OTHER_CRYPTO = {"Crypto", "Cryptodome", "nacl", "pyaes", "rsa", "M2Crypto", "OpenSSL", "ecdsa", "tinyec", "jose",
                "jwt", "simplecrypt", "tlslite", "pyDes", "blowfish", "Padding"}
#: Lock-file package names of those libraries.
OTHER_CRYPTO_PACKAGES = {"pycrypto", "pycryptodome", "pycryptodomex", "pynacl", "pyaes", "rsa", "m2crypto",
                         "pyopenssl", "ecdsa", "tinyec", "python-jose", "pyjwt", "simple-crypt", "tlslite-ng",
                         "pydes"}

#: (file, call, n) of ``secrets.token_*`` calls with fewer than 16 bytes, and why that is enough.
SHORT_TOKENS = {
    ("core/jobs/worker.py", "token_hex", 3): "tells worker processes on one host apart in logs (not a secret)",
    ("core/mail.py", "token_hex", 4): "keeps the file names of mails written to a local folder apart (not a secret)",
    ("plugins/webhooks/deliveries.py", "token_hex", 4): "keeps the job keys of retried deliveries apart (not a secret)",
    ("plugins/shopify/install.py", "token_urlsafe", 12): "a nonce inside the OAuth state, which is HMAC-SHA256 signed "
                                                         "with the app's key and expires (the signature protects it)",
    ("core/change_notices.py", "token_hex", 8): "marks this process's own catch-up notice among the others it hears "
                                                "(not a secret)",
    ("plugins/shopify/discounts.py", "token_hex", 5): "a shopper's single-use discount code, typed at a checkout, "
                                                      "like the receipt codes (see 'Deliberate exceptions' V11.5.1)",
}
TOKEN_CALLS = {"token_urlsafe", "token_bytes", "token_hex"}


@cache
def _modules() -> dict[str, ast.Module]:
    files = [p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py") if "node_modules" not in p.parts]
    assert len(files) > 100, "the scan should see the whole code base"
    return {p.relative_to(ROOT).as_posix(): ast.parse(p.read_text(encoding="utf-8"), filename=str(p)) for p in files}


def _imported_modules(tree: ast.Module) -> set[str]:
    """The full dotted names of every module a file imports."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _names(tree: ast.Module) -> set[str]:
    """Every identifier, attribute, imported name and short string constant in a file."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.update({node.name.rsplit(".", 1)[-1], node.asname or ""})
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 20:
            found.add(node.value)
    return found


def test_no_security_value_comes_from_the_stdlib_random_module() -> None:
    users = {path for path, tree in _modules().items()
             if any(name == "random" or name.startswith("random.") for name in _imported_modules(tree))}
    assert users == set(STDLIB_RANDOM), "a new use of the stdlib random module: use secrets, or list it with a reason"

    tree = _modules()["core/auth/two_step.py"]
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert "os.urandom" in calls and "secrets.choice" in calls
    assert "random" not in _names(tree)
    secret_source = next(node for node in ast.walk(tree)
                         if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "secret"
                         and isinstance(node.value, ast.Call))
    assert ast.unparse(secret_source.value) == "os.urandom(SECRET_BYTES)"
    assert two_step.SECRET_BYTES * 8 >= 160  # the 160-bit TOTP secret docs/asvs.md V6.5.3 names


def test_recovery_codes_have_the_documented_alphabet_length_and_entropy() -> None:
    alphabet, length = two_step._RECOVERY_ALPHABET, two_step._RECOVERY_LENGTH
    assert len(set(alphabet)) == len(alphabet) == 31 and length == 16  # what docs/asvs.md V6.5.4 says
    assert not set(alphabet) & set("0o1li")  # the characters people misread are left out
    bits = length * math.log2(len(alphabet))
    row = next(line for line in ASVS.read_text(encoding="utf-8").splitlines() if line.startswith("| V6.5.4 |"))
    documented = int(re.search(r"about (\d+) bits", row).group(1))
    assert bits >= 20 and bits >= documented and int(bits) == documented

    codes = [two_step._new_recovery_code() for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4] * (length // 4), code
        assert set("".join(groups)) <= set(alphabet), code
    # every letter of the alphabet turns up, and none far more often than chance allows (a biased choice would)
    counts = {c: sum(code.count(c) for code in codes) for c in alphabet}
    expected = len(codes) * length / len(alphabet)
    assert all(0.8 * expected < n < 1.2 * expected for n in counts.values()), counts


def test_no_md5_anywhere_and_sha1_only_where_a_standard_requires_it() -> None:
    found: set[tuple[str, str]] = set()
    for path, tree in _modules().items():
        for name in _names(tree):
            if re.fullmatch(r"(?i)md5|sha-?1", name):
                assert name.lower() != "md5", f"{path}: MD5"
                found.add((path, name))
    assert found == set(SHA1_ALLOWED), "SHA-1 only where a standard dictates it: list it with the standard"


def test_ciphers_come_from_vetted_libraries_only() -> None:
    aes_users = set()
    for path, tree in _modules().items():
        imported = _imported_modules(tree)
        tops = {name.split(".", 1)[0] for name in imported}
        assert not tops & OTHER_CRYPTO, f"{path} imports {tops & OTHER_CRYPTO}: use cryptography"
        names = _names(tree)
        if names & {"AES", "AESGCM", "AESCCM", "ChaCha20Poly1305", "Cipher", "Fernet", "MultiFernet"}:
            aes_users.add(path)
            assert any(name.startswith("cryptography.") for name in imported), f"{path}: a cipher not from cryptography"
    assert "core/secrets_at_rest.py" in aes_users  # Fernet (AES-128-CBC + HMAC-SHA256) seals secrets at rest
    locked = {line.split("==", 1)[0].lower() for lock in (ROOT / "requirements").glob("*.lock")
              for line in lock.read_text().splitlines() if "==" in line and not line.startswith((" ", "#"))}
    assert "cryptography" in locked and "argon2-cffi" in locked
    assert not locked & OTHER_CRYPTO_PACKAGES


def test_random_tokens_carry_at_least_128_bits_unless_listed() -> None:
    seen: set[tuple[str, str, int]] = set()
    problems = []
    for path, tree in _modules().items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in TOKEN_CALLS):
                continue
            assert node.args and isinstance(node.args[0], ast.Constant | ast.Name), f"{path}:{node.lineno}"
            argument = node.args[0]
            if isinstance(argument, ast.Name):  # a module constant: look it up in the same file
                argument = next(a.value for a in ast.walk(tree) if isinstance(a, ast.Assign)
                                and ast.unparse(a.targets[0]) == argument.id)
            n = argument.value
            if n < 16:
                seen.add((path, node.func.attr, n))
                if (path, node.func.attr, n) not in SHORT_TOKENS:
                    problems.append(f"{path}:{node.lineno}: {node.func.attr}({n})")
    assert problems == []
    assert seen == set(SHORT_TOKENS), "a listed short token is gone: take it off SHORT_TOKENS"
