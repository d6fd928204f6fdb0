// The hook state document and the hooks kept in state.json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hooks/hook_state.hpp"
#include "hooks/stored_hooks.hpp"
#include "sys/error.hpp"

namespace {

using hako::hooks::HookKind;

TEST(HookState, HasRuncsFieldsInRuncsOrder) {
    hako::hooks::HookState state;
    state.oci_version = "1.2.0";
    state.id = "c1";
    state.status = "creating";
    state.pid = 4242;
    state.bundle = "/b";
    state.annotations = {{"a", "b"}};
    EXPECT_EQ(hako::hooks::to_json(state),
              R"({"ociVersion":"1.2.0","id":"c1","status":"creating","pid":4242,)"
              R"("bundle":"/b","annotations":{"a":"b"}})");
}

TEST(HookState, LeavesOutPidZeroAndEmptyAnnotations) {
    hako::hooks::HookState state;
    state.oci_version = "1.0.2";
    state.id = "c1";
    state.status = "stopped";
    state.bundle = "/b";
    EXPECT_EQ(hako::hooks::to_json(state),
              R"({"ociVersion":"1.0.2","id":"c1","status":"stopped","bundle":"/b"})");
}

TEST(HookState, InvalidUtf8StillMakesJson) {
    hako::hooks::HookState state;
    state.annotations = {{"k", "\xff\xfe"}};
    const auto parsed = nlohmann::json::parse(hako::hooks::to_json(state), nullptr, false);
    EXPECT_FALSE(parsed.is_discarded());
}

TEST(HookState, MadeFromTheSpec) {
    hako::spec::Spec spec;
    spec.oci_version = "1.1.0";
    spec.annotations = {{"x", "y"}};
    const auto state = hako::hooks::make_hook_state(spec, "id", "/bundle", "created", 7);
    EXPECT_EQ(state.oci_version, "1.1.0");
    EXPECT_EQ(state.id, "id");
    EXPECT_EQ(state.status, "created");
    EXPECT_EQ(state.pid, 7);
    EXPECT_EQ(state.bundle, "/bundle");
    EXPECT_EQ(state.annotations.at("x"), "y");
}

TEST(HookKindName, SpelledAsInConfigJson) {
    EXPECT_EQ(hako::hooks::hook_kind_name(HookKind::prestart), "prestart");
    EXPECT_EQ(hako::hooks::hook_kind_name(HookKind::create_runtime), "createRuntime");
    EXPECT_EQ(hako::hooks::hook_kind_name(HookKind::create_container), "createContainer");
    EXPECT_EQ(hako::hooks::hook_kind_name(HookKind::start_container), "startContainer");
    EXPECT_EQ(hako::hooks::hook_kind_name(HookKind::poststart), "poststart");
    EXPECT_EQ(hako::hooks::hook_kind_name(HookKind::poststop), "poststop");
}

TEST(StoredHooks, KeepOnlyPoststartAndPoststop) {
    hako::spec::Hooks hooks;
    hako::spec::Hook full{"/bin/hook", {"hook", "a"}, {"K=V"}, 5};
    hako::spec::Hook bare{"/bin/other", {}, {}, std::nullopt};
    hooks.prestart = {full};
    hooks.create_runtime = {full};
    hooks.poststart = {full, bare};
    hooks.poststop = {bare};
    const std::string text = hako::hooks::stored_hooks_json(hooks);
    const auto back = hako::hooks::parse_stored_hooks(text);
    EXPECT_TRUE(back.prestart.empty());
    EXPECT_TRUE(back.create_runtime.empty());
    ASSERT_EQ(back.poststart.size(), 2u);
    EXPECT_EQ(back.poststart[0].path, "/bin/hook");
    EXPECT_EQ(back.poststart[0].args, (std::vector<std::string>{"hook", "a"}));
    EXPECT_EQ(back.poststart[0].env, (std::vector<std::string>{"K=V"}));
    EXPECT_EQ(back.poststart[0].timeout, 5);
    EXPECT_EQ(back.poststart[1].path, "/bin/other");
    EXPECT_FALSE(back.poststart[1].timeout.has_value());
    ASSERT_EQ(back.poststop.size(), 1u);
    EXPECT_EQ(back.poststop[0].path, "/bin/other");
}

TEST(StoredHooks, NoneIsEmptyText) {
    hako::spec::Hooks hooks;
    hooks.create_container = {hako::spec::Hook{"/x", {}, {}, std::nullopt}};
    EXPECT_EQ(hako::hooks::stored_hooks_json(hooks), "");
    const auto back = hako::hooks::parse_stored_hooks("");
    EXPECT_TRUE(back.poststart.empty());
    EXPECT_TRUE(back.poststop.empty());
}

TEST(StoredHooks, CorruptTextNamesTheField) {
    EXPECT_THROW(hako::hooks::parse_stored_hooks("[1]"), hako::Error);
    try {
        hako::hooks::parse_stored_hooks(R"({"poststop":[{"path":3}]})");
        FAIL() << "no error";
    } catch (const hako::Error& e) {
        EXPECT_STREQ(e.what(), "state.json hako.hooks.poststop[0].path: expected a string");
    }
    EXPECT_THROW(hako::hooks::parse_stored_hooks(R"({"poststart":[{"path":"/x","timeout":0}]})"),
                 hako::Error);
}

}  // namespace
