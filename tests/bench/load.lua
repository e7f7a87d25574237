-- wrk script for tests/bench/load.sh. Every request is made as one of the signed-in
-- demo accounts, in turn, so the load spreads over all of them as real use would.
--
--   BENCH_SESSIONS  file of "cookie csrf-token id,id,… client project page20" lines
--                   (one per account; the ids are blocks planned for today, then one
--                   client's and one project's id, "-" for none, then the path of
--                   the tasks list's page 20 as its "Next" links reach it)
--   BENCH_ORIGIN    http://127.0.0.1:PORT (the Origin a form post carries)
--   BENCH_TARGET    what to send:
--                     a path ("/", "/clients", …)  GET it
--                     miss                         `/?date=` a random day of the last two
--                                                  years: the day cache never has it
--                     client, project              the account's client or project page
--                     page20                       the account's tasks list, page 20
--                     complete                     an htmx block completion: POST
--                                                  /tasks/{id}/status, DONE then TODO
--                     mix                          40% `/`, 15% each of the week, the
--                                                  clients and the projects, 15% completions

local target = os.getenv("BENCH_TARGET") or "/"
local origin = os.getenv("BENCH_ORIGIN")
local sessions = {}
local counter = 0
local done = {}

local threads = 0
function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(os.getenv("BENCH_SESSIONS")) do
    local cookie, csrf, ids, client, project, page20 =
      line:match("^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$")
    if cookie then
      local list = {}
      for id in ids:gmatch("[^,]+") do
        if id ~= "-" then
          list[#list + 1] = id
        end
      end
      sessions[#sessions + 1] = {
        cookie = cookie, csrf = csrf, ids = list, client = client, project = project,
        page20 = page20,
      }
    end
  end
  -- Threads start at different accounts.
  counter = (thread_number or 0) * 7
  math.randomseed(counter + 1)
end

local function next_session()
  counter = counter + 1
  return sessions[(counter % #sessions) + 1]
end

local function page(path, s)
  return wrk.format("GET", path, { ["Cookie"] = s.cookie })
end

local function completion(s)
  if #s.ids == 0 then
    return page("/", s)
  end
  local id = s.ids[(math.floor(counter / #sessions) % #s.ids) + 1]
  local key = s.cookie .. id
  local status = done[key] and "TODO" or "DONE"
  done[key] = not done[key]
  return wrk.format("POST", "/tasks/" .. id .. "/status", {
    ["Cookie"] = s.cookie,
    ["X-CSRF-Token"] = s.csrf,
    ["HX-Request"] = "true",
    ["HX-Target"] = "day-plan",
    ["Origin"] = origin,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "status=" .. status .. "&return_to=%2F")
end

local mix = {
  { 40, "/" },
  { 15, "/command/calendar" },
  { 15, "/clients" },
  { 15, "/projects" },
  { 15, "complete" },
}

local function choose(s)
  local what = target
  if what == "mix" then
    local roll = math.random(0, 99)
    for _, entry in ipairs(mix) do
      if roll < entry[1] then
        what = entry[2]
        break
      end
      roll = roll - entry[1]
    end
  end
  if what == "complete" then
    return completion(s)
  end
  if what == "miss" then
    -- A day of the last two years, as os.date writes it: never the same twice in a row.
    local day = os.time() - math.random(0, 730) * 86400
    return page("/?date=" .. os.date("!%Y-%m-%d", day), s)
  end
  if what == "client" then
    return page("/clients/" .. s.client, s)
  end
  if what == "project" then
    return page("/projects/" .. s.project, s)
  end
  if what == "page20" then
    return page(s.page20, s)
  end
  return page(what, s)
end

function request()
  return choose(next_session())
end
