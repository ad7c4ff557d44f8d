-- Cycle through request paths listed one per line in the file named by PATHS,
-- sending the bearer token in TOKEN.
local paths = {}
local index = 0
for line in io.lines(os.getenv("PATHS")) do
  paths[#paths + 1] = line
end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }

request = function()
  index = index % #paths + 1
  return wrk.format("GET", paths[index], headers)
end
