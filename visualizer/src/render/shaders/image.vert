#version 300 es
// One quad per tile: a level-0 rectangle of the image placed on the canvas by the view.
in vec2 a_position;             // 0..1 across the quad

uniform vec4 u_quad;            // x, y, width, height in level-0 image pixels
uniform vec2 u_origin;          // image point at the canvas's top-left corner
uniform float u_scale;          // image pixels per device pixel
uniform vec2 u_canvasSize;      // device pixels

void main() {
  vec2 image = u_quad.xy + a_position * u_quad.zw;
  vec2 screen = (image - u_origin) / u_scale;
  gl_Position = vec4(screen.x / u_canvasSize.x * 2.0 - 1.0, 1.0 - screen.y / u_canvasSize.y * 2.0, 0.0, 1.0);
}
