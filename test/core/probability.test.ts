import { test } from "node:test";
import assert from "node:assert/strict";
import { parseProbability } from "../../src/core/probability.js";

test("fractions 0..1 and percentage strings are probabilities", () => {
  assert.equal(parseProbability(0), 0);
  assert.equal(parseProbability(1), 1);
  assert.equal(parseProbability(0.25), 0.25);
  assert.equal(parseProbability("0.25"), 0.25);
  assert.equal(parseProbability("50%"), 0.5);
  assert.equal(parseProbability(" 12.5 % "), 0.125);
  assert.equal(parseProbability("0%"), 0);
  assert.equal(parseProbability("100%"), 1);
  assert.equal(parseProbability("0.5%"), 0.005);
});

test("an integer above 1 is ambiguous and refused with both spellings as the hint", () => {
  assert.throws(() => parseProbability(50, "drop(probability=)"), {
    message: 'drop(probability=): 50 is ambiguous (a fraction above 1); write "50%" or 0.5',
  });
  assert.throws(() => parseProbability("25"), /"25" is ambiguous.*write "25%" or 0\.25/);
});

test("out-of-range, negative and malformed values are refused naming the value", () => {
  assert.throws(() => parseProbability(1.5), /1\.5 is above 1/);
  assert.throws(() => parseProbability(500), /500 is above 1/);
  assert.throws(() => parseProbability("150%"), /"150%" is more than 100%/);
  assert.throws(() => parseProbability(-0.1), /-0\.1 is negative/);
  assert.throws(() => parseProbability("-5%"), /"-5%" is not a probability/);
  assert.throws(() => parseProbability("half"), /"half" is not a probability/);
  assert.throws(() => parseProbability(true), /true is not a probability/);
  assert.throws(() => parseProbability(Number.NaN), /NaN is not a probability/);
  assert.throws(() => parseProbability(""), /"" is not a probability/);
});
