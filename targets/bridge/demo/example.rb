# A threaded C library (the demo) calls a Ruby block from its own native threads.
require "handoff"
require "handoff_demo"

totals = Hash.new(0)
callback = Handoff::Callback.new do |thread, amount|
  totals[thread] += amount # runs on a Ruby worker thread, holding the GVL
  "thread #{thread} has #{totals[thread]}"
end

Handoff.start
calls = Array.new(4) { |t| Array.new(1000) { [t, 1] } } # 4 native threads x 1000 calls
replies = HandoffDemo::Job.new(callback.handle, calls).join
Handoff.stop

puts replies.flatten.map(&:status).tally.map { |status, n| "#{status}: #{n}" }.join(", ") # => ok: 4000
puts replies[2].last.value # => thread 2 has 1000
