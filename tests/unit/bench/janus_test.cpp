// The pure parts of --target janus: the Janus API JSON, the HTTP response parser, the SDP
// additions and the generated config.
#include <gtest/gtest.h>

#include "bench/bench_options.h"
#include "bench/janus_api.h"
#include "bench/janus_http_client.h"
#include "bench/janus_sdp.h"
#include "bench/janus_server.h"

namespace sfu::bench {
namespace {

TEST(JanusApi, SessionAttachAndMessage) {
  EXPECT_EQ(janus::create_session("t1"), (nlohmann::json{{"janus", "create"}, {"transaction", "t1"}}));
  auto attach = janus::attach("t2");
  EXPECT_EQ(attach["janus"], "attach");
  EXPECT_EQ(attach["plugin"], "janus.plugin.videoroom");
  auto plain = janus::message("t3", janus::start_body());
  EXPECT_EQ(plain["janus"], "message");
  EXPECT_EQ(plain["body"]["request"], "start");
  EXPECT_FALSE(plain.contains("jsep"));
  auto with_jsep = janus::message("t4", janus::start_body(), "answer", "v=0\r\n");
  EXPECT_EQ(with_jsep["jsep"]["type"], "answer");
  EXPECT_EQ(with_jsep["jsep"]["sdp"], "v=0\r\n");
}

TEST(JanusApi, VideoRoomBodies) {
  auto create = janus::create_room_body(1003, 4);
  EXPECT_EQ(create["request"], "create");
  EXPECT_EQ(create["room"], 1003);
  EXPECT_EQ(create["publishers"], 4);
  EXPECT_EQ(create["videocodec"], "vp8");
  EXPECT_EQ(create["audiocodec"], "opus");
  auto join = janus::publisher_join_body(1000, 2, "pub1");
  EXPECT_EQ(join["request"], "joinandconfigure");
  EXPECT_EQ(join["ptype"], "publisher");
  EXPECT_EQ(join["id"], 2);
  auto subscribe = janus::subscriber_join_body(1000, {1, 3});
  EXPECT_EQ(subscribe["ptype"], "subscriber");
  ASSERT_EQ(subscribe["streams"].size(), 2u);
  EXPECT_EQ(subscribe["streams"][1]["feed"], 3);
  EXPECT_EQ(janus::room_id(0), 1000u);
  EXPECT_NE(janus::feed_id(0), 0u);  // Janus treats id 0 as "pick one"
}

TEST(JanusApi, ReadsSuccessEventsAndErrors) {
  auto success =
      janus::read_reply(nlohmann::json::parse(R"j({"janus":"success","transaction":"a","data":{"id":42}})j"));
  ASSERT_TRUE(success);
  EXPECT_EQ(success->janus, "success");
  EXPECT_EQ(success->id, 42u);
  EXPECT_EQ(success->transaction, "a");
  EXPECT_TRUE(success->error.empty());

  auto event = janus::read_reply(nlohmann::json::parse(
      R"j({"janus":"event","session_id":1,"sender":7,"plugindata":{"plugin":"janus.plugin.videoroom",
          "data":{"videoroom":"joined","id":1}},"jsep":{"type":"answer","sdp":"v=0"}})j"));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->sender, 7u);
  EXPECT_EQ(event->plugin_data["videoroom"], "joined");
  EXPECT_EQ(event->jsep_type, "answer");
  EXPECT_EQ(event->jsep_sdp, "v=0");
  EXPECT_TRUE(event->error.empty());

  auto plugin_error = janus::read_reply(nlohmann::json::parse(
      R"j({"janus":"event","sender":7,"plugindata":{"data":{"videoroom":"event","error_code":428,
          "error":"No such feed (1)"}}})j"));
  ASSERT_TRUE(plugin_error);
  EXPECT_EQ(plugin_error->error, "No such feed (1) (428)");

  auto core_error = janus::read_reply(
      nlohmann::json::parse(R"j({"janus":"error","error":{"code":458,"reason":"No such session"}})j"));
  ASSERT_TRUE(core_error);
  EXPECT_EQ(core_error->error, "No such session (458)");

  EXPECT_FALSE(janus::read_reply(nlohmann::json::parse("[]")));
  EXPECT_FALSE(janus::read_reply(nlohmann::json::parse(R"j({"janus":1})j")));
  EXPECT_FALSE(janus::read_reply(nlohmann::json::parse(R"j({"id":1})j")));
  // Wrongly typed fields are ignored, not thrown on.
  auto odd =
      janus::read_reply(nlohmann::json::parse(R"j({"janus":"event","sender":"x","data":5,"jsep":3})j"));
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->sender, 0u);
}

TEST(JanusHttp, ContentLengthBody) {
  std::string raw =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
  auto response = janus::parse_http_response(raw);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
}

TEST(JanusHttp, ChunkedBody) {
  std::string raw =
      "HTTP/1.1 404 Not Found\r\ntransfer-encoding: "
      "Chunked\r\n\r\n3\r\nabc\r\na;ext=1\r\n0123456789\r\n0\r\n\r\n";
  auto response = janus::parse_http_response(raw);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "abc0123456789");
}

TEST(JanusHttp, BodyUntilClose) {
  auto response = janus::parse_http_response("HTTP/1.0 200 OK\r\n\r\n{}");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "{}");
}

TEST(JanusHttp, EveryTruncationIsIncompleteNotACrash) {
  for (std::string raw :
       {std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
        std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")}) {
    ASSERT_TRUE(janus::parse_http_response(raw)) << raw;
    for (size_t n = 0; n < raw.size(); ++n)
      EXPECT_FALSE(janus::parse_http_response(std::string_view(raw).substr(0, n))) << n << " of " << raw;
  }
}

TEST(JanusHttp, MalformedResponses) {
  EXPECT_FALSE(janus::parse_http_response("HTTP/2 200 OK\r\n\r\n"));
  EXPECT_FALSE(janus::parse_http_response("HTTP/1.1 2x0 OK\r\n\r\n"));
  EXPECT_FALSE(janus::parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello"));
  EXPECT_FALSE(janus::parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"));
  EXPECT_FALSE(janus::parse_http_response(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n"));
  EXPECT_FALSE(
      janus::parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX0\r\n\r\n"));
  EXPECT_FALSE(janus::parse_http_response(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nab\r\n0\r\n\r\n"));
}

TEST(JanusSdp, PublishOfferCarriesOurHostCandidate) {
  client::PublishOfferParams params;
  params.transport = {"ufrag", "passwordpasswordpassword", "AA:BB"};
  params.stream_id = "s";
  params.cname = "c";
  params.audio_ssrc = 1;
  params.video_ssrc = 2;
  params.video_rtx_ssrc = 3;
  auto local = SocketAddress::from_ip("127.0.0.2", 40123);
  ASSERT_TRUE(local);
  sdp::SessionDescription offer = janus_publish_offer(params, *local);
  ASSERT_EQ(offer.media.size(), 2u);
  for (const auto& m : offer.media) {
    ASSERT_EQ(m.candidates.size(), 1u);
    EXPECT_EQ(m.candidates[0].address, "127.0.0.2");
    EXPECT_EQ(m.candidates[0].port, 40123);
    EXPECT_EQ(m.candidates[0].type, "host");
    EXPECT_TRUE(m.end_of_candidates);
    EXPECT_EQ(m.port, 40123);
    ASSERT_TRUE(m.connection);
    EXPECT_EQ(m.connection->address, "127.0.0.2");
  }
  std::string text = sdp::write_sdp(offer);
  EXPECT_NE(text.find("a=candidate:1 1 udp 2130706431 127.0.0.2 40123 typ host"), std::string::npos) << text;
  EXPECT_NE(text.find("a=end-of-candidates"), std::string::npos);
  // What we write parses back the same.
  auto parsed = sdp::parse_sdp(text);
  ASSERT_TRUE(std::holds_alternative<sdp::SessionDescription>(parsed));
  EXPECT_EQ(std::get<sdp::SessionDescription>(parsed).media[1].candidates[0].port, 40123);
}

TEST(JanusSdp, RejectedSectionsGetNoCandidate) {
  sdp::SessionDescription description;
  description.media.resize(2);
  description.media[0].port = 0;  // rejected
  description.media[1].port = 9;
  add_host_candidate(description, *SocketAddress::from_ip("127.0.0.2", 5000));
  EXPECT_TRUE(description.media[0].candidates.empty());
  EXPECT_EQ(description.media[0].port, 0);
  EXPECT_EQ(description.media[1].candidates.size(), 1u);
}

TEST(JanusServerConfig, MinimalConfig) {
  JanusServer::Options o;
  o.http_port = 18123;
  auto files = JanusServer::config_files(o, "/tmp/cfg");
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].first, "janus.jcfg");
  const std::string& core = files[0].second;
  EXPECT_NE(core.find("ice_lite = false"), std::string::npos);
  EXPECT_NE(core.find("full_trickle = false"), std::string::npos);
  EXPECT_NE(core.find("rtp_port_range"), std::string::npos);
  EXPECT_NE(core.find("configs_folder = \"/tmp/cfg\""), std::string::npos);
  EXPECT_EQ(core.find("stun_server"), std::string::npos);
  EXPECT_EQ(core.find("libjanus_videoroom.so"), std::string::npos);  // never disabled
  EXPECT_EQ(core.find("libjanus_http.so"), std::string::npos);
  EXPECT_EQ(files[2].first, "janus.transport.http.jcfg");
  EXPECT_NE(files[2].second.find("port = 18123"), std::string::npos);
  EXPECT_NE(files[2].second.find("ip = \"127.0.0.2\""), std::string::npos);
  EXPECT_NE(files[2].second.find("admin_http = false"), std::string::npos);
}

TEST(JanusOptions, TargetBothAndJanusBinary) {
  auto parsed = parse_bench_options({"--target", "both", "--janus", "/opt/janus/bin/janus"});
  ASSERT_TRUE(std::holds_alternative<BenchOptions>(parsed)) << std::get<std::string>(parsed);
  EXPECT_EQ(std::get<BenchOptions>(parsed).target, "both");
  EXPECT_EQ(std::get<BenchOptions>(parsed).janus_binary, "/opt/janus/bin/janus");
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_bench_options({"--target", "janus", "--ramp"})));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_bench_options({"--target", "mediasoup"})));
}

}  // namespace
}  // namespace sfu::bench
