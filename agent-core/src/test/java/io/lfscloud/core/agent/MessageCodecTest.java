package io.lfscloud.core.agent;

import io.lfscloud.core.lfs.Operation;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MessageCodecTest {

    static final String OID = "22ab5f63670800cc7be06dbed816012b0dc411e774754c7579467d2536a9cf3e";

    static Request decode(String line) throws MalformedMessageException {
        return MessageCodec.decode(line);
    }

    // ---------------------------------------------------------------- requests

    @Test
    void readsWhatGitLfs33Sends() throws Exception {
        assertEquals(new Request.Init(Operation.DOWNLOAD, null, null, 8L, "origin"),
                decode("{\"event\":\"init\",\"operation\":\"download\",\"remote\":\"origin\",\"concurrent\":true,\"concurrenttransfers\":8}"));
        assertEquals(new Request.Transfer(Operation.DOWNLOAD, OID, null, Request.Size.of(12), null),
                decode("{\"event\":\"download\",\"oid\":\"" + OID + "\",\"size\":12,\"action\":null}"));
        assertEquals(new Request.Transfer(Operation.UPLOAD, OID, null, Request.Size.of(12), "/r/.git/lfs/objects/22/ab/" + OID),
                decode("{\"event\":\"upload\",\"oid\":\"" + OID + "\",\"size\":12,\"path\":\"/r/.git/lfs/objects/22/ab/" + OID
                        + "\",\"action\":null}"));
        assertEquals(new Request.Terminate(), decode("{\"event\":\"terminate\"}"));
    }

    @Test
    void readsVersion2sNegotiationAndBatches() throws Exception {
        assertEquals(new Request.Init(Operation.UPLOAD, 2L, Request.ConcurrencyMode.ANY, null, null),
                decode("{\"event\":\"init\",\"operation\":\"upload\",\"protocol\":2,\"concurrencyMode\":\"any\"}"));
        assertEquals(new Request.Init(Operation.UPLOAD, 7L, null, null, null),
                decode("{\"event\":\"init\",\"operation\":\"upload\",\"protocol\":7}"), "a higher version is the agent's to answer");
        assertEquals(new Request.Init(Operation.UPLOAD, 1L, null, null, null),
                decode("{\"event\":\"init\",\"operation\":\"upload\",\"protocol\":1,\"concurrencyMode\":\"weird\"}"),
                "version 1 has no modes: whatever is sent there is ignored");
        assertEquals(new Request.BatchHeader("b1", 2L, 30L),
                decode("{\"event\":\"batch-header\",\"bid\":\"b1\",\"objectsCount\":2,\"totalSize\":30}"));
        assertEquals(new Request.BatchHeader("b1", 2L, 30L),
                decode("{\"event\":\"batch-header\",\"bid\":\"b1\",\"objectsCount\":2,\"size\":30}"), "size as the spec's examples write it");
        assertEquals(new Request.BatchFooter("b1", null, null),
                decode("{\"event\":\"batch-footer\",\"bid\":\"b1\",\"objectsCount\":-2,\"totalSize\":\"30\"}"));
        assertEquals(new Request.BatchHeader(null, null, null), decode("{\"event\":\"batch-header\",\"bid\":5}"));
        assertEquals(new Request.Transfer(Operation.DOWNLOAD, OID, "b1", Request.Size.of(0), null),
                decode("{\"event\":\"download\",\"oid\":\"" + OID + "\",\"bid\":\"b1\",\"size\":0}"));
    }

    @Test
    void anInitThatCannotBeAcceptedSaysWhy() throws Exception {
        assertEquals(new Request.InvalidInit("init has no valid \"operation\" (upload or download): delete"),
                decode("{\"event\":\"init\",\"operation\":\"delete\"}"));
        assertEquals(new Request.InvalidInit("init has no valid \"operation\" (upload or download): null"),
                decode("{\"event\":\"init\"}"));
        assertEquals(new Request.InvalidInit("init has an invalid \"protocol\": 0"),
                decode("{\"event\":\"init\",\"operation\":\"upload\",\"protocol\":0}"));
        assertEquals(new Request.InvalidInit("init has an invalid \"protocol\": 2.5"),
                decode("{\"event\":\"init\",\"operation\":\"upload\",\"protocol\":2.5}"));
        assertEquals(new Request.InvalidInit("init has an invalid \"protocol\": 2"),
                decode("{\"event\":\"init\",\"operation\":\"upload\",\"protocol\":\"2\"}"));
        assertEquals(new Request.InvalidInit("init has an unknown \"concurrencyMode\": weird (basic, batch or any)"),
                decode("{\"event\":\"init\",\"operation\":\"upload\",\"protocol\":2,\"concurrencyMode\":\"weird\"}"));
    }

    @Test
    void aSizeThatIsNoSizeIsKeptWithItsProblemUntilTheRequestIsServed() throws Exception {
        record Case(String size, String problem) {
        }
        for (Case c : List.of(new Case("1.5", "\"size\" is not a whole number of bytes: 1.5"),
                new Case("-1", "invalid \"size\": -1"),
                new Case("\"12\"", "invalid \"size\": 12"),
                new Case("99999999999999999999", "\"size\" is not a whole number of bytes: 99999999999999999999"))) {
            Request r = decode("{\"event\":\"download\",\"oid\":\"x\",\"size\":" + c.size() + "}");
            Request.Size size = ((Request.Transfer) r).size();
            assertEquals(new Request.Size(-1, c.problem()), size, c.size());
            TransferFailure f = assertThrows(TransferFailure.class, size::require);
            assertEquals(ErrorCode.BAD_REQUEST, f.code());
            assertEquals(c.problem(), f.getMessage());
        }
        Request.Transfer none = (Request.Transfer) decode("{\"event\":\"upload\",\"oid\":\"x\"}");
        assertEquals("request without a \"size\"", none.size().problem());
    }

    @Test
    void messagesThatCannotBeServedKeepTheOidAndBidToAnswer() throws Exception {
        assertEquals(new Request.Invalid("message without an \"event\"", OID, "b"),
                decode("{\"oid\":\"" + OID + "\",\"bid\":\"b\"}"));
        assertEquals(new Request.Invalid("unknown event \"delete\"", "../x", null),
                decode("{\"event\":\"delete\",\"oid\":\"../x\",\"bid\":3}"));
        assertEquals(new Request.Invalid("message without an \"event\"", null, null), decode("{\"event\":42}"));
        assertEquals(new Request.Invalid("download request without an \"oid\"", null, null),
                decode("{\"event\":\"download\",\"oid\":12,\"size\":1}"));
        Request.Invalid long_ = (Request.Invalid) decode("{\"event\":\"" + "\\u001b".repeat(3) + "e".repeat(300) + "\"}");
        assertEquals("unknown event \"???" + "e".repeat(117) + "…\"", long_.problem(), "printable and abbreviated");
    }

    @Test
    void onlyAJsonObjectIsAMessage() {
        for (String bad : new String[] {"{\"event\":", "[]", "\"init\"", "", "{\"event\":\"init\"} x", "{'event':'init'}"}) {
            assertThrows(MalformedMessageException.class, () -> decode(bad), bad);
        }
    }

    @Test
    void requestsRoundTrip() throws Exception {
        for (Request r : List.<Request>of(
                new Request.Init(Operation.DOWNLOAD, null, null, 8L, "origin"),
                new Request.Init(Operation.UPLOAD, 2L, Request.ConcurrencyMode.BATCH, 3L, "https://h/r.git"),
                new Request.Init(Operation.UPLOAD, 2L, Request.ConcurrencyMode.BASIC, null, null),
                new Request.Transfer(Operation.UPLOAD, OID, "b", Request.Size.of(5), "a \"quoted\"\npath"),
                new Request.Transfer(Operation.DOWNLOAD, "not-an-oid", null, Request.Size.of(0), null),
                new Request.BatchHeader("b", 1L, 5L),
                new Request.BatchFooter("b", 1L, 5L),
                new Request.Terminate())) {
            String line = MessageCodec.encode(r);
            assertEquals(-1, line.indexOf('\n'), line);
            assertEquals(r, decode(line), line);
        }
    }

    // ----------------------------------------------------------------- replies

    @Test
    void writesRepliesExactlyAsTheProtocolHasThem() {
        TransferFailure retriable = TransferFailure.of(new io.lfscloud.spi.StorageException(
                io.lfscloud.spi.StorageException.Kind.TRANSIENT, "timed out"));
        assertEquals("{}", MessageCodec.encode(Reply.InitReply.VERSION_1));
        assertEquals("{\"protocol\":1}", MessageCodec.encode(new Reply.InitReply(1, null)));
        assertEquals("{\"protocol\":2,\"concurrencyMode\":\"batch\"}",
                MessageCodec.encode(new Reply.InitReply(2, Request.ConcurrencyMode.BATCH)));
        assertEquals("{\"error\":{\"code\":32,\"message\":\"no\"}}",
                MessageCodec.encode(new Reply.SessionError(new Reply.ErrorInfo(ErrorCode.INIT_FAILED, "no", null))));
        assertEquals("{\"event\":\"progress\",\"oid\":\"" + OID + "\",\"bytesSoFar\":10,\"bytesSinceLast\":4}",
                MessageCodec.encode(new Reply.ObjectProgress(OID, 10, 4)));
        assertEquals("{\"event\":\"progress\",\"bid\":\"b\",\"bytesSoFar\":0,\"bytesSinceLast\":0}",
                MessageCodec.encode(new Reply.BatchProgress("b", 0, 0)));
        assertEquals("{\"event\":\"complete\",\"oid\":\"" + OID + "\",\"path\":\"/r/.git/lfs/tmp/x\"}",
                MessageCodec.encode(Reply.Complete.done(OID, null, "/r/.git/lfs/tmp/x")));
        assertEquals("{\"event\":\"complete\",\"oid\":\"" + OID + "\"}", MessageCodec.encode(Reply.Complete.done(OID, null, null)));
        assertEquals("{\"event\":\"complete\",\"oid\":\"" + OID + "\",\"error\":{\"code\":503,\"message\":\"timed out\"}}",
                MessageCodec.encode(Reply.Complete.failed(OID, null, retriable, false)), "version 1 has no retry flag");
        assertEquals("{\"event\":\"complete\",\"oid\":\"../x\",\"bid\":\"b\",\"error\":{\"code\":503,\"message\":\"timed out\",\"retry\":true}}",
                MessageCodec.encode(Reply.Complete.failed("../x", "b", retriable, true)));
        assertEquals("{\"event\":\"batch-complete\",\"bid\":\"b\"}", MessageCodec.encode(new Reply.BatchComplete("b", null)));
        assertEquals("{\"event\":\"batch-complete\",\"bid\":\"b\",\"error\":{\"code\":400,\"message\":\"m\",\"retry\":false}}",
                MessageCodec.encode(new Reply.BatchComplete("b", Reply.ErrorInfo.of(TransferFailure.badRequest("m"), true))));
    }

    @Test
    void aReplyIsOneLineWhateverItQuotes() throws Exception {
        Reply r = Reply.Complete.failed("a\"b\\c\nd\u2028e", null, TransferFailure.badRequest("x\ny\r\u0000"), true);
        String line = MessageCodec.encode(r);
        assertEquals(-1, line.indexOf('\n'), line);
        assertEquals(-1, line.indexOf('\u2028'), line);
        assertEquals(r, MessageCodec.decodeReply(line));
    }

    @Test
    void repliesRoundTrip() throws Exception {
        for (Reply r : List.of(Reply.InitReply.VERSION_1, new Reply.InitReply(1, null),
                new Reply.InitReply(2, Request.ConcurrencyMode.BASIC),
                new Reply.SessionError(new Reply.ErrorInfo(ErrorCode.BAD_REQUEST, "init received twice", null)),
                new Reply.ObjectProgress(OID, 1, 1), new Reply.BatchProgress("b", 5, 2),
                Reply.Complete.done(OID, "b", "/p"),
                new Reply.Complete(OID, null, null, new Reply.ErrorInfo(ErrorCode.CHANGED, "changed", false)),
                new Reply.BatchComplete("b", new Reply.ErrorInfo(ErrorCode.INTERNAL, "m", true)))) {
            assertEquals(r, MessageCodec.decodeReply(MessageCodec.encode(r)));
        }
    }
}
