# frozen_string_literal: true

require_relative "helper"

# A registered or queued block is never collected or broken by the GC.
class TestGc < Minitest::Test
  include BridgeTest

  def make_handles_and_forget_callbacks(count)
    Array.new(count) { |k| Handoff::Callback.new { |x| "kept #{k} #{x}" }.handle }
  end

  # Regression: the registry's marker wrapped a NULL pointer, so Ruby never
  # called its mark function and unreferenced callbacks were collected.
  def test_registered_callbacks_survive_gc_without_a_ruby_reference
    handles = make_handles_and_forget_callbacks(200)
    4.times { GC.start(full_mark: true, immediate_sweep: true) }
    replies = HandoffDemo::Job.new(handles.first, [[[1]]]).join
    assert_equal "kept 0 1".b, replies[0][0].value
    handles.each_with_index do |handle, k|
      assert_equal "kept #{k} 2".b, HandoffDemo.invoke(handle, [2]).value
    end
  end

  def test_gc_stress_during_calls
    cb = Handoff::Callback.new { |t, i| [t, i].join(",") }
    replies = begin
      GC.stress = true
      fire(cb, Array.new(4) { |t| Array.new(BridgeTest.scale(40)) { |i| [t, i] } })
    ensure
      GC.stress = false
    end
    replies.each_with_index do |row, t|
      assert_equal Array.new(row.size) { |i| "#{t},#{i}" }, row.map(&:value)
    end
  end

  def test_gc_compact_during_calls
    callbacks = Array.new(20) { |k| Handoff::Callback.new { |x| x + k } }
    job = HandoffDemo::Job.new(callbacks.first.handle, Array.new(4) { Array.new(BridgeTest.scale(500)) { [1] } })
    2.times { GC.compact; GC.verify_compaction_references(double_heap: true, toward: :empty) }
    assert(job.join.flatten.all? { |r| r.status == :ok && r.value == 1 })
    callbacks.each_with_index { |cb, k| assert_equal 1 + k, fire_one(cb, 1).value }
  end

  def test_disposed_callbacks_leave_the_registry
    before = Handoff::Callback.registered_count
    50.times { Handoff::Callback.new { 1 }.dispose }
    assert_equal before, Handoff::Callback.registered_count
  end
end
