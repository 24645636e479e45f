import { describe, expect, it, vi } from 'vitest';
import { displayUniforms, hexToRgb } from '../../../src/session/canvas';
import { HEIGHT, postEdit, projectPerTest, WIDTH } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();

describe('display uniforms', () => {
  it('turns layer colours into RGB and grayscale into one white layer', () => {
    expect(hexToRgb('#ff8000')).toEqual([1, 128 / 255, 0]);
    const display = project.session.display.getSnapshot().context;
    expect(displayUniforms({ ...display, mode: 'grayscale', channel: 1 }, false)).toMatchObject({
      grayscale: true,
      layers: [{ channel: 1, color: [1, 1, 1], range: display.channels[1].range }],
      background: [0.8, 0.8, 0.82],
    });
  });
});

describe('canvas', () => {
  it('gives the renderer the image size, display, view and colours when attached', () => {
    const renderer = project.attachCanvas();
    expect(renderer.named('setImageSize')).toEqual([[WIDTH, HEIGHT]]);
    expect(renderer.last('setDisplay')).toMatchObject({
      grayscale: false,
      layers: [
        { channel: 0, color: [1, 0, 0] },
        { channel: 1, color: [0, 1, 0] },
      ],
    });
    const view = project.session.viewport.getSnapshot().context;
    expect(renderer.last('setView')).toMatchObject({ x: view.x, y: view.y, zoom: view.zoom });
    expect(renderer.named('setLookup')).toHaveLength(1);
    expect(renderer.last('setTypeLookup')).not.toBeNull();
  });

  it('highlights the cells selected in the scatter plot as it does the selected cell', () => {
    const renderer = project.attachCanvas();
    const alpha = (value: number) =>
      (renderer.last('setLookup') as { data: Uint8Array }).data[value * 4 + 3];
    expect([alpha(1), alpha(2)]).toEqual([128, 128]);
    project.session.learning.send({ type: 'SELECT', cells: [1, 2] });
    expect([alpha(1), alpha(2)]).toEqual([255, 255]);
    project.session.learning.send({ type: 'CLEAR_SELECTION' });
    project.session.selection.send({ type: 'SELECT', cell: 2 });
    expect([alpha(1), alpha(2)]).toEqual([128, 255]);
  });

  it('drops the cell-type colours when the overlay is off and follows the theme', () => {
    const renderer = project.attachCanvas();
    project.session.keys.down('O');
    expect(renderer.last('setTypeLookup')).toBeNull();
    project.session.canvas.setDark(true);
    expect(renderer.last('setDisplay')).toMatchObject({ background: [0.07, 0.07, 0.09] });
  });

  it('shows the brush under the pointer and the threshold box', () => {
    const { session } = project;
    const renderer = project.attachCanvas();
    session.keys.down('B');
    session.pointer.move(...project.canvasPoint(5.5, 6.5));
    expect(renderer.last('setCursors')).toEqual({ brush: [5.5, 6.5, 5], box: null, seed: null });
    session.pointer.leave();
    expect(renderer.last('setCursors')).toEqual({ brush: null, box: null, seed: null });
    session.keys.down('T');
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.pointer.down(...project.canvasPoint(2, 2), 0);
    session.pointer.move(...project.canvasPoint(6, 4));
    expect(renderer.last('setCursors')).toMatchObject({ box: [2, 2, 6, 4] });
  });

  it('tells the tiled image what is on screen', () => {
    project.attachCanvas();
    const show = vi.spyOn(project.session.image, 'show');
    project.session.display.send({ type: 'SET_FRAME', frame: 1 });
    expect(show).toHaveBeenLastCalledWith(
      expect.objectContaining({ frame: 1, feature: 0, channels: [0, 1], devicePixelRatio: 1 }),
    );
  });

  it('draws a stroke into the overlay before the server answers', () => {
    const { session } = project;
    postEdit.mockImplementation(() => new Promise(() => undefined));
    const renderer = project.attachCanvas();
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.keys.down('B');
    session.pointer.down(...project.canvasPoint(5, 5), 0);
    expect(renderer.named('updateOverlay')).toHaveLength(1);
    expect(renderer.named('render')).toHaveLength(1);
  });

  it('gives the visible region cut to the image in whole pixels', () => {
    const { session } = project;
    expect(session.canvas.visibleRegion()).toEqual({ x: 0, y: 0, width: WIDTH, height: HEIGHT });
    session.viewport.send({ type: 'ZOOM_AT', factor: 4, canvasX: 0, canvasY: 0 });
    const region = session.canvas.visibleRegion();
    expect(region.width).toBeLessThan(WIDTH);
    expect(region.x).toBe(0);
  });
});

describe('label colours', () => {
  it('colour again on a new selection or frame, not on hover or a display change', () => {
    const { session } = project;
    const renderer = project.attachCanvas();
    const lookups = () => renderer.named('setLookup').length;
    const before = lookups();
    session.pointer.move(...project.canvasPoint(5, 5));
    expect(lookups()).toBe(before);
    session.selection.send({ type: 'SELECT', cell: 2 });
    expect(lookups()).toBe(before + 1);
    session.display.send({ type: 'SET_FRAME', frame: 1 });
    expect(lookups()).toBe(before + 2);
    session.display.send({ type: 'SET_LABEL_OPACITY', opacity: 0.2 });
    expect(lookups()).toBe(before + 2);
    expect(renderer.last('setDisplay')).toMatchObject({ labelOpacity: 0.2 });
  });

  it('build a frame’s colours again when its cells change, and only the shown frame’s', () => {
    const { session } = project;
    const renderer = project.attachCanvas();
    const lookups = () => renderer.named('setLookup').length;
    const before = lookups();
    session.store.applyCellChanges([{ t: 1, c: 0, value: 4, cells: [4] }]);
    expect(lookups()).toBe(before);
    session.store.applyCellChanges([{ t: 0, c: 0, value: 4, cells: [4] }]);
    expect(lookups()).toBe(before + 1);
    expect(renderer.named('setTypeLookup').length).toBeGreaterThan(1);
  });

  it('colour the types of the shown feature with their own opacity', () => {
    const { session } = project;
    const renderer = project.attachCanvas();
    session.typeDisplay.send({ type: 'TOGGLE_HIDDEN', id: 1 });
    expect(renderer.last('setTypeLookup')).toBeNull();
    session.typeDisplay.send({ type: 'TOGGLE_HIDDEN', id: 1 });
    expect(renderer.last('setTypeLookup')).not.toBeNull();
  });
});
