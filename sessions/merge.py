"""Three-way merge of a text that two people edited from the same saved version.

Both edits are taken as changes to the common base (diff-match-patch, cleaned up to whole words
and sentences). Changes in different places are both applied, so text both people already had
appears once. Where both changed the same place, the result holds both versions of that place,
the saved one first, and the merge is not "clean": the person checks it before saving. Nothing
either person wrote is left out."""

from dataclasses import dataclass

from diff_match_patch import diff_match_patch

MINE, THEIRS = "mine", "theirs"


@dataclass(frozen=True)
class Edit:
    start: int  # in the base text
    end: int
    text: str  # what replaces base[start:end]
    side: str


def _edits(base: str, changed: str, side: str) -> list[Edit]:
    differ = diff_match_patch()
    differ.Diff_Timeout = 1.0
    diffs = differ.diff_main(base, changed)
    differ.diff_cleanupSemantic(diffs)
    edits, position, start, text = [], 0, None, ""
    for operation, chunk in diffs:
        if operation == differ.DIFF_EQUAL:
            if start is not None:
                edits.append(Edit(start, position, text, side))
                start, text = None, ""
            position += len(chunk)
            continue
        if start is None:
            start = position
        if operation == differ.DIFF_DELETE:
            position += len(chunk)
        else:
            text += chunk
    if start is not None:
        edits.append(Edit(start, position, text, side))
    return edits


def _apply(base: str, start: int, end: int, edits: list[Edit]) -> str:
    """base[start:end] with one side's edits (all inside it) applied."""
    parts, position = [], start
    for edit in edits:
        parts.append(base[position:edit.start])
        parts.append(edit.text)
        position = edit.end
    parts.append(base[position:end])
    return "".join(parts)


def _join(first: str, second: str) -> str:
    if first and second and not first[-1].isspace() and not second[0].isspace():
        return f"{first} {second}"
    return first + second


def merge_texts(base: str, mine: str, theirs: str) -> tuple[str, bool]:
    """Mine and theirs, both edited from base, as one text; and whether no place was changed by
    both (clean)."""
    if mine == theirs or theirs == base:
        return mine, True
    if mine == base:
        return theirs, True
    edits = sorted(
        _edits(base, theirs, THEIRS) + _edits(base, mine, MINE),
        key=lambda edit: (edit.start, edit.end, edit.side != THEIRS),
    )
    parts, position, clean, index = [], 0, True, 0
    while index < len(edits):
        group = [edits[index]]
        start, end = group[0].start, group[0].end
        index += 1
        # Edits that touch the same stretch of the base are decided together.
        while index < len(edits) and (
            edits[index].start < end or edits[index].start == start == end
        ):
            group.append(edits[index])
            end = max(end, edits[index].end)
            index += 1
        parts.append(base[position:start])
        ours = [edit for edit in group if edit.side == MINE]
        saved = [edit for edit in group if edit.side == THEIRS]
        if not ours or not saved:
            parts.append(_apply(base, start, end, group))
        else:
            mine_here = _apply(base, start, end, ours)
            theirs_here = _apply(base, start, end, saved)
            if mine_here == theirs_here:
                parts.append(mine_here)
            else:
                parts.append(_join(theirs_here, mine_here))
                # Two insertions at one point keep both and lose nothing; anything else changed
                # the same words in two ways.
                clean = clean and start == end
        position = end
    parts.append(base[position:])
    return "".join(parts), clean


def added_text(before: str, after: str) -> str:
    """What `after` has that `before` had not, in the order it appears (the inserted parts,
    each trimmed, one space between them)."""
    differ = diff_match_patch()
    differ.Diff_Timeout = 1.0
    diffs = differ.diff_main(before, after)
    differ.diff_cleanupSemantic(diffs)
    parts = [chunk.strip() for operation, chunk in diffs if operation == differ.DIFF_INSERT]
    return " ".join(part for part in parts if part)
