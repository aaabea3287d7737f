import { Placeholder } from '../Placeholder';

export function CylindersWorkspace() {
  return <Placeholder ns="cylinders" />;
}
