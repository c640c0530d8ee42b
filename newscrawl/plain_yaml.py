"""Plain YAML only, for the files an operator writes (sources.yml, artists.yml).

A safe loader already refuses to build ``!!python/object`` and other tags it does not
know, but its error ("could not determine a constructor ...") names neither the rule
nor the fix, and PyYAML silently keeps only the last of a key given twice. Both config
loaders check the composed node tree with :func:`reject_tags` before building anything.
"""

from __future__ import annotations

import yaml

from newscrawl.errors import ConfigError

_MERGE = "tag:yaml.org,2002:merge"


def reject_tags(node: yaml.Node, path: str) -> None:
    """Only plain YAML: a tag no safe loader builds (``!!python/object``...) is an error,
    and so are a key given twice in one mapping (YAML keeps only the last: the earlier
    value, maybe a whole 'sources:' list, would vanish) and a key that is not text.
    Anchors, aliases and merge keys (``<<: *defaults``) are fine."""
    stack = [node]
    while stack:
        node = stack.pop()
        if node.tag not in yaml.SafeLoader.yaml_constructors and node.tag != _MERGE:
            raise ConfigError(
                f"tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed (plain YAML only)",
                path=path,
                line=node.start_mark.line + 1,
            )
        if isinstance(node, yaml.MappingNode):  # reversed: the first one in the file is named
            seen: set[str] = set()
            for key, _value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    raise ConfigError(
                        "a mapping key must be plain text", path=path, line=key.start_mark.line + 1
                    )
                if key.tag == _MERGE:
                    continue
                if key.value in seen:
                    raise ConfigError(
                        f"key {key.value!r} appears twice in the same mapping",
                        path=path,
                        field=key.value,
                        line=key.start_mark.line + 1,
                    )
                seen.add(key.value)
            stack.extend(reversed([n for pair in node.value for n in pair]))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
