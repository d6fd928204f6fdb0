#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "state/state_store.hpp"
#include "sys/error.hpp"

using hako::state::ContainerState;
using hako::state::Status;

namespace {

ContainerState sample_state() {
    ContainerState state;
    state.oci_version = "1.2.0";
    state.id = "web-1";
    state.status = Status::running;
    state.pid = 4242;
    state.bundle = "/srv/bundles/web";
    state.rootfs = "/srv/bundles/web/rootfs";
    state.annotations = {{"org.example/key", "value \"quoted\""}, {"a", "b"}};
    state.created = "2026-11-23T23:14:27.123456789Z";
    state.owner = "";
    state.init_start_time = 987654321;
    state.cgroup_paths = {{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/hako/web-1"},
                          {"/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified/hako/web-1"}};
    state.cgroup_created = true;
    hako::cgroups::Hierarchy memory;
    memory.mount_point = "/sys/fs/cgroup/memory";
    memory.controllers = {"memory"};
    hako::cgroups::Hierarchy unified;
    unified.mount_point = "/sys/fs/cgroup/unified";
    unified.unified = true;
    state.cgroup_hierarchies = {memory, unified};
    return state;
}

std::string error_of(const std::string& text) {
    try {
        (void)hako::state::from_json(text);
    } catch (const hako::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(StateJson, StatusNames) {
    EXPECT_EQ(hako::state::status_name(Status::creating), "creating");
    EXPECT_EQ(hako::state::status_name(Status::created), "created");
    EXPECT_EQ(hako::state::status_name(Status::running), "running");
    EXPECT_EQ(hako::state::status_name(Status::paused), "paused");
    EXPECT_EQ(hako::state::status_name(Status::stopped), "stopped");
}

TEST(StateJson, RoundTrip) {
    const ContainerState original = sample_state();
    const ContainerState copy = hako::state::from_json(hako::state::to_json(original));
    EXPECT_EQ(copy.oci_version, original.oci_version);
    EXPECT_EQ(copy.id, original.id);
    EXPECT_EQ(copy.status, original.status);
    EXPECT_EQ(copy.pid, original.pid);
    EXPECT_EQ(copy.bundle, original.bundle);
    EXPECT_EQ(copy.rootfs, original.rootfs);
    EXPECT_EQ(copy.annotations, original.annotations);
    EXPECT_EQ(copy.created, original.created);
    EXPECT_EQ(copy.owner, original.owner);
    EXPECT_EQ(copy.init_start_time, original.init_start_time);
    EXPECT_EQ(copy.cgroup_paths, original.cgroup_paths);
    EXPECT_EQ(copy.cgroup_created, original.cgroup_created);
    ASSERT_EQ(copy.cgroup_hierarchies.size(), 2U);
    EXPECT_EQ(copy.cgroup_hierarchies[0].mount_point, "/sys/fs/cgroup/memory");
    EXPECT_FALSE(copy.cgroup_hierarchies[0].unified);
    EXPECT_EQ(copy.cgroup_hierarchies[0].controllers, std::vector<std::string>{"memory"});
    EXPECT_EQ(copy.cgroup_hierarchies[1].mount_point, "/sys/fs/cgroup/unified");
    EXPECT_TRUE(copy.cgroup_hierarchies[1].unified);
}

// The saved hierarchies stand in for the host's mount table; without them (state written by
// an older hako) the layout is the host's.
TEST(StateJson, CgroupLayoutFromSavedHierarchies) {
    const hako::cgroups::Layout layout = hako::state::cgroup_layout(sample_state());
    EXPECT_EQ(layout.kind, hako::cgroups::LayoutKind::hybrid);
    ASSERT_NE(layout.find_v1("memory"), nullptr);
    EXPECT_EQ(layout.find_v1("memory")->mount_point, "/sys/fs/cgroup/memory");
    ASSERT_NE(layout.unified(), nullptr);
    EXPECT_EQ(layout.unified()->mount_point, "/sys/fs/cgroup/unified");

    ContainerState v1_only = sample_state();
    v1_only.cgroup_hierarchies.pop_back();
    EXPECT_EQ(hako::state::cgroup_layout(v1_only).kind, hako::cgroups::LayoutKind::v1);
    ContainerState v2_only = sample_state();
    v2_only.cgroup_hierarchies.erase(v2_only.cgroup_hierarchies.begin());
    EXPECT_EQ(hako::state::cgroup_layout(v2_only).kind, hako::cgroups::LayoutKind::v2);

    ContainerState old = sample_state();
    old.cgroup_hierarchies.clear();
    const std::string text = hako::state::to_json(old);
    EXPECT_EQ(text.find("cgroupHierarchies"), std::string::npos);
    EXPECT_TRUE(hako::state::from_json(text).cgroup_hierarchies.empty());
    EXPECT_EQ(hako::state::cgroup_layout(old).hierarchies.size(),
              hako::cgroups::detect_layout().hierarchies.size());
}

TEST(StateJson, ListingParseSkipsWhatListDoesNotRead) {
    ContainerState original = sample_state();
    original.resources_json = R"({"pids":{"limit":5}})";
    original.hooks_json = R"({"poststop":[{"path":"/bin/true"}]})";
    const ContainerState listed =
        hako::state::from_json_for_listing(hako::state::to_json(original));
    EXPECT_EQ(listed.id, original.id);
    EXPECT_EQ(listed.pid, original.pid);
    EXPECT_EQ(listed.status, original.status);
    EXPECT_EQ(listed.bundle, original.bundle);
    EXPECT_EQ(listed.created, original.created);
    EXPECT_EQ(listed.annotations, original.annotations);
    EXPECT_EQ(listed.init_start_time, original.init_start_time);
    EXPECT_EQ(listed.cgroup_paths, original.cgroup_paths);
    EXPECT_TRUE(listed.cgroup_hierarchies.empty());
    EXPECT_TRUE(listed.resources_json.empty());
    EXPECT_TRUE(listed.hooks_json.empty());
    // The full parse keeps them.
    const ContainerState full = hako::state::from_json(hako::state::to_json(original));
    EXPECT_EQ(full.cgroup_hierarchies.size(), 2U);
    EXPECT_EQ(full.resources_json, original.resources_json);
    EXPECT_FALSE(full.hooks_json.empty());
}

TEST(StateJson, RoundTripEveryStatus) {
    for (const Status status : {Status::creating, Status::created, Status::running,
                                Status::paused, Status::stopped}) {
        ContainerState state = sample_state();
        state.status = status;
        EXPECT_EQ(hako::state::from_json(hako::state::to_json(state)).status, status);
    }
}

TEST(StateJson, ToJsonAlwaysHasAnnotationsAndHakoFields) {
    ContainerState state = sample_state();
    state.annotations.clear();
    const std::string text = hako::state::to_json(state);
    EXPECT_NE(text.find(R"("annotations":{})"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("initStartTime":987654321)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"("cgroupCreated":true)"), std::string::npos) << text;
}

TEST(StateJson, OciJsonMatchesRuncLayout) {
    ContainerState state = sample_state();
    state.annotations = {{"a", "b"}};
    EXPECT_EQ(hako::state::to_oci_json(state, Status::running),
              "{\n"
              "  \"ociVersion\": \"1.2.0\",\n"
              "  \"id\": \"web-1\",\n"
              "  \"pid\": 4242,\n"
              "  \"status\": \"running\",\n"
              "  \"bundle\": \"/srv/bundles/web\",\n"
              "  \"rootfs\": \"/srv/bundles/web/rootfs\",\n"
              "  \"created\": \"2026-11-23T23:14:27.123456789Z\",\n"
              "  \"owner\": \"\",\n"
              "  \"annotations\": {\n"
              "    \"a\": \"b\"\n"
              "  }\n"
              "}");
}

TEST(StateJson, OciJsonStoppedHasPidZeroAndNoEmptyAnnotations) {
    ContainerState state = sample_state();
    state.annotations.clear();
    const std::string text = hako::state::to_oci_json(state, Status::stopped);
    EXPECT_NE(text.find("\"pid\": 0,"), std::string::npos) << text;
    EXPECT_NE(text.find("\"status\": \"stopped\""), std::string::npos) << text;
    EXPECT_EQ(text.find("annotations"), std::string::npos) << text;
    EXPECT_EQ(text.find("hako"), std::string::npos) << text;
    EXPECT_EQ(text.find("initStartTime"), std::string::npos) << text;
}

TEST(StateJson, OciJsonSurvivesInvalidUtf8) {
    ContainerState state = sample_state();
    state.annotations = {{"k", std::string("bad\xff")}};
    EXPECT_NO_THROW((void)hako::state::to_oci_json(state, Status::running));
}

TEST(StateJson, FromJsonNamesTheBadField) {
    EXPECT_NE(error_of("{").find("parse error"), std::string::npos) << error_of("{");
    EXPECT_EQ(error_of("[]"), "not a JSON object");
    EXPECT_EQ(error_of(R"({"status":"running","pid":1})"), R"(field "id" missing)");
    EXPECT_EQ(error_of(R"({"id":"x","status":"sleeping","pid":1})"),
              R"(field "status": unknown status "sleeping")");
    EXPECT_EQ(error_of(R"({"id":"x","status":"running","pid":"1"})"),
              R"(field "pid" must be an integer)");
    EXPECT_EQ(error_of(R"({"id":"x","status":"running","pid":-1})"), R"(field "pid" out of range)");
    EXPECT_EQ(error_of(R"({"id":"x","status":"running","pid":1,"annotations":{"a":1}})"),
              R"(field "annotations.a" must be a string)");
    EXPECT_EQ(error_of(R"({"id":"x","status":"running","pid":1,"hako":{"cgroupCreated":1}})"),
              R"(field "hako.cgroupCreated" must be a boolean)");
    EXPECT_EQ(error_of(R"({"id":"x","status":"running","pid":1,"hako":{"cgroupHierarchies":{}}})"),
              R"(field "hako.cgroupHierarchies" must be an array)");
    EXPECT_EQ(
        error_of(
            R"({"id":"x","status":"running","pid":1,"hako":{"cgroupHierarchies":[{"unified":true}]}})"),
        R"(field "hako.cgroupHierarchies[].mountPoint" missing)");
}

TEST(StateJson, Rfc3339NowFormat) {
    const std::string now = hako::state::rfc3339_now();
    // Shape "2026-11-23T23:14:27.123456789Z" (std::regex trips GCC 12 warnings under ASan).
    const std::string shape = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
    ASSERT_EQ(now.size(), shape.size()) << now;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == 'd') {
            EXPECT_TRUE(now[i] >= '0' && now[i] <= '9') << now;
        } else {
            EXPECT_EQ(now[i], shape[i]) << now;
        }
    }
    EXPECT_LE(now, hako::state::rfc3339_now());
}

TEST(StateJson, Rfc3339NowIsTheUtcCalendarTime) {
    // Computed without the C library's calendar: it must agree with gmtime_r.
    for (int attempt = 0; attempt < 5; ++attempt) {
        const std::time_t before = std::time(nullptr);
        const std::string now = hako::state::rfc3339_now();
        if (std::time(nullptr) != before) continue;  // a second boundary in between
        std::tm utc{};
        ASSERT_NE(::gmtime_r(&before, &utc), nullptr);
        char expected[32];
        ASSERT_GT(std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%S", &utc), 0u);
        EXPECT_EQ(now.substr(0, 19), expected);
        return;
    }
    FAIL() << "the clock kept crossing second boundaries";
}
