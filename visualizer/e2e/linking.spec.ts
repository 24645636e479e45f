// Linking a small movie against the real server: the job's progress, the ids it gives, accepting
// a proposed division, and undoing the linking.
import { expect, test, type Page } from '@playwright/test';
import { makeMovie, projectId, uploadThroughHome, waitForLabels, waitForSaved } from './helpers';

/** (frame, value) -> cell, as the server says. */
async function cellsOf(page: Page): Promise<Map<string, number>> {
  const response = await page.request.get(`/api/projects/${projectId(page)}`);
  const metadata = await response.json();
  return new Map(
    metadata.cells.map((c: { t: number; value: number; cell: number }) => [
      `${c.t}/${c.value}`,
      c.cell,
    ]),
  );
}

test('link a movie, accept a proposed division, undo the linking', async ({ page }) => {
  const { images, labels } = makeMovie();
  await uploadThroughHome(page, images, labels);
  const before = await cellsOf(page);
  const idsBefore = new Set(before.values());

  await page.getByTestId('link-movie').click();
  const proposals = page.getByTestId('proposals');
  await expect(proposals).toContainText('Proposed divisions (2)', { timeout: 60_000 });
  await expect(page.getByTestId('notice').last()).toContainText('Linked:');
  await waitForSaved(page);
  // Every cell keeps one id through the movie: far fewer ids than values.
  const linked = await cellsOf(page);
  expect(new Set(linked.values()).size).toBeLessThan(idsBefore.size / 2);
  await expect(page.getByTestId('undo')).toBeEnabled();

  // Show the first proposal: its frame, its first daughter selected; accept it.
  const first = proposals.getByTestId('proposal-show').first();
  const label = (await first.textContent())!;
  const [, parent, daughters, frame] = /(\d+) → ([\d, ]+) at frame (\d+)/.exec(label)!;
  await first.click();
  await expect(page.getByTestId('frame-label')).toContainText(`Frame ${frame} /`);
  await waitForLabels(page);
  await proposals.getByTestId('proposal-accept').first().click();
  await expect(proposals).toContainText('Proposed divisions (1)');
  await waitForSaved(page);
  const metadata = await (await page.request.get(`/api/projects/${projectId(page)}`)).json();
  expect(metadata.divisions).toEqual([
    {
      parent: Number(parent),
      daughters: daughters.split(', ').map(Number),
      t: Number(frame) - 1,
    },
  ]);
  expect(metadata.findings).toEqual([]);

  // Check the proposals least sure first: the one left is shown, marked as the one checked.
  await proposals.getByTestId('check-least-sure').click();
  const left = proposals.locator('[data-checking="true"]');
  await expect(left).toHaveCount(1);
  const leftLabel = (await left.getByTestId('proposal-show').textContent())!;
  expect(leftLabel).toMatch(/% sure\)$/);
  const [, , , leftFrame] = /(\d+) → ([\d, ]+) at frame (\d+)/.exec(leftLabel)!;
  await expect(page.getByTestId('frame-label')).toContainText(`Frame ${leftFrame} /`);
  await proposals.getByTestId('stop-checking').click();
  await expect(proposals.getByTestId('check-least-sure')).toBeVisible();

  // Undo the acceptance, then the linking: every value means what it meant before.
  await page.getByTestId('undo').click();
  await waitForSaved(page);
  await page.getByTestId('undo').click();
  await waitForSaved(page);
  await expect
    .poll(async () => [...(await cellsOf(page)).entries()].sort())
    .toEqual([...before.entries()].sort());
  await expect(page.getByTestId('undo')).toBeDisabled();
});

test('check the links the linking is least sure of, least sure first', async ({ page }) => {
  // The movie's one cell missing from a frame makes a gap, closed by the linking unsure.
  const { images, labels } = makeMovie();
  await uploadThroughHome(page, images, labels);
  await page.getByTestId('link-movie').click();
  await expect(page.getByTestId('notice').last()).toContainText('1 uncertain link', {
    timeout: 60_000,
  });
  await waitForSaved(page);
  const uncertain = page.getByTestId('uncertain-links');
  await expect(uncertain).toContainText('Uncertain links (1)');

  // The least sure is shown: its frame, its cell selected, how sure and why.
  await uncertain.getByTestId('check-uncertain').click();
  const current = uncertain.getByTestId('uncertain-current');
  await expect(current).toContainText(/1 of 1: cell \d+ at frame \d+, linked from frame \d+/);
  const text = (await current.textContent())!;
  const [, cell, frame, from] = /cell (\d+) at frame (\d+), linked from frame (\d+)/.exec(text)!;
  expect(text).toMatch(/\(\d+% sure: a gap closed\)$/);
  expect(Number(frame) - Number(from)).toBe(2);
  await expect(page.getByTestId('frame-label')).toContainText(`Frame ${frame} /`);
  await expect(page.getByTestId('selected-cell')).toHaveText(`Cell ${cell}`);
  // The cell is there, under the id the linking gave it, in both frames it links.
  const cells = await cellsOf(page);
  for (const t of [Number(frame) - 1, Number(from) - 1]) {
    expect(
      [...cells.entries()].some(([key, id]) => key.startsWith(`${t}/`) && id === Number(cell)),
    ).toBe(true);
  }

  // Past the last one, the checking ends.
  await uncertain.getByTestId('uncertain-next').click();
  await expect(page.getByTestId('notice').last()).toContainText('No uncertain links left');
  await expect(uncertain.getByTestId('check-uncertain')).toBeVisible();

  // Undoing the linking forgets its uncertain links (their ids no longer hold).
  await page.getByTestId('undo').click();
  await waitForSaved(page);
  await expect(page.getByTestId('uncertain-links')).toHaveCount(0);
});
