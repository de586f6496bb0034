-- wrk script: each thread is one learner saving their own boundary plan over one connection,
-- so its saves are sequential and each is based on the revision the last one returned (a real
-- autosave). The answer changes every save, so every request writes a new encrypted revision.
-- Learners come from the file named by WRK_LEARNERS: one "token worksheet-id" line each.

local learners = {}
local next_learner = 1

function setup(thread)
  if #learners == 0 then
    for line in io.lines(os.getenv("WRK_LEARNERS")) do
      local token, id = line:match("^(%S+) (%S+)$")
      table.insert(learners, { token = token, id = id })
    end
  end
  local learner = learners[next_learner]
  next_learner = next_learner + 1
  thread:set("token", learner.token)
  thread:set("id", learner.id)
end

local revision = 0
local saves = 0

function request()
  saves = saves + 1
  local body = string.format(
    '{"revision":%d,"answers":{"need":"Feeling safe when we talk, draft %d.","boundary":"I will pause the talk when voices rise."}}',
    revision, saves)
  return wrk.format("PUT", "/api/v1/worksheets/" .. id, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  if status == 200 then
    revision = tonumber(body:match('"revision":(%d+)')) or revision
  else
    -- A save that is not 200 breaks the chain; count it in wrk's "Non-2xx" line.
    io.stderr:write("save answered " .. status .. "\n")
  end
end
