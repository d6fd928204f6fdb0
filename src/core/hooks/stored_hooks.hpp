#pragma once
// The hooks that commands after `create` run (poststart by `start`, poststop by `delete`),
// kept in state.json: the spec says later edits of config.json must not affect the container,
// and `delete` must not need the bundle (engines remove it). Only these two lists are kept.
#include <string>

#include "spec/spec.hpp"

namespace hako::hooks {

// {"poststart":[...],"poststop":[...]} with each hook as config.json spells it; "" when the
// spec has neither.
std::string stored_hooks_json(const spec::Hooks& hooks);

// The poststart and poststop lists back from stored_hooks_json text ("" gives none); throws
// hako::Error naming the field when the text is not what stored_hooks_json writes.
spec::Hooks parse_stored_hooks(const std::string& json_text);

}  // namespace hako::hooks
