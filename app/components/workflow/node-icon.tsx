// The icon of a step on the canvas and in the palette: by its type where one says more, else by its category.
import {
  Bell,
  CircleStop,
  Clock,
  GitBranch,
  GitMerge,
  Headphones,
  Hourglass,
  type LucideIcon,
  Package,
  Plug,
  ShoppingCart,
  Split,
  Undo2,
  UserCheck,
  Workflow,
  Zap,
} from 'lucide-react';

const BY_TYPE: Record<string, LucideIcon> = {
  'control.delay': Clock,
  'control.human': UserCheck,
  'control.signal': Hourglass,
  'control.split': Split,
  'control.join': GitMerge,
  'control.end': CircleStop,
  'control.subflow': Workflow,
};
const BY_CATEGORY: Record<string, LucideIcon> = {
  trigger: Zap,
  control: GitBranch,
  orders: ShoppingCart,
  returns: Undo2,
  inventory: Package,
  notifications: Bell,
  service: Headphones,
  integrations: Plug,
};

export function NodeIcon({ type, category, size = 16 }: { type: string; category?: string; size?: number }) {
  const Icon = BY_TYPE[type] ?? (category ? BY_CATEGORY[category] : undefined) ?? Workflow;
  return <Icon size={size} aria-hidden="true" className="node-icon" />;
}
