"""Confinement of the MCP server's paths: resolved, inside the roots, inputs and existing files kept."""
from __future__ import annotations

from pathlib import Path

import pytest

from agent.mcp.roots import Roots, folders_of_uris
from tools.errors import OutputExists, UserError


@pytest.fixture()
def tree(tmp_path: Path) -> dict[str, Path]:
    """A root with a photo, a sub-folder and links that lead out of it; a folder outside it."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "photo.png").write_bytes(b"inside")
    (outside / "secret.png").write_bytes(b"outside")
    (root / "link.png").symlink_to(outside / "secret.png")
    (root / "away").symlink_to(outside, target_is_directory=True)
    (root / "inner.png").symlink_to(root / "photo.png")
    return {"root": root, "outside": outside}


def refused(action, *args, **kwargs) -> str:
    with pytest.raises(UserError) as caught:
        action(*args, **kwargs)
    return str(caught.value)


def test_inputs_inside_the_roots_resolve_to_their_real_path(tree: dict[str, Path]) -> None:
    roots = Roots.of([tree["root"]])
    assert roots.input_file("photo.png") == tree["root"] / "photo.png"  # relative: from the first root
    assert roots.input_file(tree["root"] / "sub" / ".." / "photo.png") == tree["root"] / "photo.png"
    assert roots.input_file("inner.png") == tree["root"] / "photo.png"  # a link that stays inside


@pytest.mark.parametrize("path", ["../outside/secret.png", "sub/../../outside/secret.png", "link.png",
                                  "away/secret.png", "/etc/hostname", "../outside/missing.png"])
def test_paths_that_lead_out_of_the_roots_are_refused_whether_or_not_they_exist(
        tree: dict[str, Path], path: str) -> None:
    roots = Roots.of([tree["root"]])
    message = refused(roots.input_file, path)
    assert message == f"path is outside the allowed roots ({tree['root']}): {path}"
    assert refused(roots.output_file, path).startswith("path is outside the allowed roots")


def test_outputs_never_replace_an_input_nor_an_existing_file_unless_asked(tree: dict[str, Path]) -> None:
    roots = Roots.of([tree["root"]])
    photo = tree["root"] / "photo.png"
    assert roots.output_file("sub/new.png", [photo]) == tree["root"] / "sub" / "new.png"
    with pytest.raises(OutputExists):
        roots.output_file("photo.png")
    assert refused(roots.output_file, "inner.png", [photo], overwrite=True) == \
        "output path is the input file: inner.png (inputs are never overwritten)"
    assert refused(roots.output_file, "sub") == "output is a folder, not a file: sub"
    (tree["root"] / "old.png").write_bytes(b"old")
    assert roots.output_file("old.png", [photo], overwrite=True) == tree["root"] / "old.png"


def test_missing_files_and_folders_are_one_line_errors(tree: dict[str, Path]) -> None:
    roots = Roots.of([tree["root"]])
    assert refused(roots.input_file, "nope.png") == "no such file: nope.png"
    assert refused(roots.input_file, "sub") == "not a file: sub"
    assert refused(Roots.of, [tree["root"] / "nope"]) == f"root is not a folder: {tree['root'] / 'nope'}"
    (tree["root"] / "loop.png").symlink_to(tree["root"] / "loop.png")
    assert refused(roots.input_file, "loop.png").startswith("cannot resolve path loop.png")


def test_client_roots_narrow_the_server_roots_and_never_widen_them(tree: dict[str, Path]) -> None:
    roots = Roots.of([tree["root"]])
    sub = tree["root"] / "sub"
    assert roots.narrowed([sub]).folders == (sub,)
    assert roots.narrowed([tree["root"].parent]).folders == (tree["root"],)
    assert roots.narrowed([]) is roots
    assert refused(roots.narrowed, [tree["outside"]]).startswith("the client's roots")
    assert refused(roots.narrowed([sub]).input_file, tree["root"] / "photo.png").startswith("path is outside")
    (sub / "shot.png").write_bytes(b"x")
    assert roots.narrowed([sub]).input_file("sub/shot.png") == sub / "shot.png"  # still from the server's root
    assert refused(roots.narrowed([sub]).input_file, "photo.png").startswith("path is outside")


def test_only_local_file_uris_name_client_folders() -> None:
    uris = ["file:///home/me/My%20Photos", "file://localhost/srv", "https://example.org/x", "file://host/share"]
    assert folders_of_uris(uris) == [Path("/home/me/My Photos"), Path("/srv")]
