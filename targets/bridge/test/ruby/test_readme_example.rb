# frozen_string_literal: true

require "minitest/autorun"
require "rbconfig"

# The README's example is demo/example.rb, word for word, and prints what the
# README says it prints (its `# => ...` comments), from a fresh ruby process.
class TestReadmeExample < Minitest::Test
  ROOT = File.expand_path("../../../..", __dir__)
  EXAMPLE = File.join(ROOT, "targets/bridge/demo/example.rb")

  def readme_block
    readme = File.read(File.join(ROOT, "README.md"))
    readme[/^## Example\n.*?```ruby\n(.*?)```/m, 1] or flunk "README.md has no ```ruby block under ## Example"
  end

  def test_readme_shows_the_example_file
    assert_equal File.read(EXAMPLE), readme_block
  end

  def test_example_prints_what_the_readme_says
    expected = readme_block.scan(/# => (.*)$/).flatten
    dirs = $LOAD_PATH.select { |dir| File.exist?(File.join(dir, "handoff.rb")) || File.exist?(File.join(dir, "handoff_demo.so")) }
    out = IO.popen([RbConfig.ruby, *dirs.flat_map { |d| ["-I", d] }, EXAMPLE], err: %i[child out], &:read)
    assert $?.success?, out
    assert_equal expected, out.lines.map(&:chomp)
  end
end
