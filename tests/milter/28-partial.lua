-- what: a job refused for good does not hold back the mail's other job; the reply says what was sent
dofile(TESTDIR .. "/lib.lua")

-- Two jobs: the number in the Subject gets the body, the plain recipient (a number OVH
-- refuses) gets subject and body.
T.mock_reset()
local conn = T.connect()
T.message(conn, { from = "<alice@example.org>",
                  rcpts = { "<+33699990000@sms.example.com>", "<sms@example.com>" },
                  subject = "0612345678", id = "partial-1" })
local ids = T.milter_log():match("sent ids=(%d+) receivers=%+3361234xxxx")
T.check(ids ~= nil, "the job to +33612345678 was not sent: %s", T.milter_log())
T.expect_smtp(conn, "550", "5.1.1",
              "SMS not sent: partly sent (ids " .. ids .. "), not all: " ..
              "OVH refused every receiver (+33699990000)", "partly sent")
T.ok(mt.disconnect(conn), "disconnect")
local jobs = T.mock_jobs()
T.check(#jobs == 2, "expected 2 jobs at OVH, got %d", #jobs)
